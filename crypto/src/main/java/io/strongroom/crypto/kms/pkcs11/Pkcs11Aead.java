package io.strongroom.crypto.kms.pkcs11;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM with a key that stays on the token. Ciphertext: {@code iv (12) | ciphertext | tag (16)}.
 * (SoftHSM2 offers no AES key wrap, so GCM with associated data wraps DEKs.)
 */
final class Pkcs11Aead implements Aead {
    private static final int IV = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKey key;
    private final Provider provider;

    Pkcs11Aead(SecretKey key, Provider provider) {
        this.key = key;
        this.provider = provider;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        byte[] iv = new byte[IV];
        RANDOM.nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
        cipher.updateAAD(associatedData);
        byte[] ct = cipher.doFinal(plaintext);
        return ByteBuffer.allocate(IV + ct.length).put(iv).put(ct).array();
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        if (ciphertext.length < IV + TAG_BITS / 8) {
            throw new GeneralSecurityException("ciphertext too short");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, Arrays.copyOf(ciphertext, IV)));
        cipher.updateAAD(associatedData);
        return cipher.doFinal(ciphertext, IV, ciphertext.length - IV);
    }
}
