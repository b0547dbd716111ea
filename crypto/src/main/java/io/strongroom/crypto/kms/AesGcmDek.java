package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A data key as an {@link Aead} in exactly Tink's AES-GCM (no prefix) format —
 * {@code iv (12 random bytes) | ciphertext | tag (16)} — that can also work on regions of
 * buffers, so a 1 MiB segment body is encrypted straight into its frame and decrypted straight
 * out of it, without the extra copies a {@code byte[]} API forces. Interoperability with Tink's own
 * primitive is tested both ways. JCE {@link Cipher} instances are kept per thread.
 */
public final class AesGcmDek implements Aead {
    /** IV length. */
    public static final int IV = 12;
    /** Tag length. */
    public static final int TAG = 16;
    /** One DRBG per thread: nonces are drawn for every record, and a shared generator is a point of contention. */
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(() -> {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (GeneralSecurityException e) {
            return new SecureRandom();
        }
    });
    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is required by every Java platform", e);
        }
    });

    private final SecretKeySpec key;

    /** Takes a copy of the 32 key bytes; the caller zeroes its own. */
    AesGcmDek(byte[] keyBytes) {
        if (keyBytes.length != 32) {
            throw new IllegalArgumentException("AES-256 keys have 32 bytes, got " + keyBytes.length);
        }
        this.key = new SecretKeySpec(keyBytes, "AES");
    }

    /** Size of the ciphertext of {@code plaintextLength} bytes. */
    public static int ciphertextSize(int plaintextLength) {
        return IV + plaintextLength + TAG;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        byte[] out = new byte[ciphertextSize(plaintext.length)];
        encrypt(ByteBuffer.wrap(plaintext), associatedData, ByteBuffer.wrap(out));
        return out;
    }

    /** Encrypts the remaining bytes of {@code plaintext} into {@code out} (at its position). */
    public void encrypt(ByteBuffer plaintext, byte[] associatedData, ByteBuffer out) throws GeneralSecurityException {
        byte[] iv = new byte[IV];
        RANDOM.get().nextBytes(iv);
        Cipher cipher = CIPHER.get();
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, iv));
        cipher.updateAAD(associatedData);
        out.put(iv);
        cipher.doFinal(plaintext, out);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return decrypt(ByteBuffer.wrap(ciphertext), associatedData);
    }

    /** Decrypts the remaining bytes of {@code ciphertext}. */
    public byte[] decrypt(ByteBuffer ciphertext, byte[] associatedData) throws GeneralSecurityException {
        if (ciphertext.remaining() < IV + TAG) {
            throw new GeneralSecurityException("ciphertext too short");
        }
        ByteBuffer in = ciphertext.duplicate();
        byte[] iv = new byte[IV];
        in.get(iv);
        Cipher cipher = CIPHER.get();
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, iv));
        cipher.updateAAD(associatedData);
        byte[] out = new byte[in.remaining() - TAG];
        cipher.doFinal(in, ByteBuffer.wrap(out));
        return out;
    }

    @Override
    public String toString() {
        return "AesGcmDek[AES-256-GCM]";
    }

    static void zero(byte[] bytes) {
        Arrays.fill(bytes, (byte) 0);
    }
}
