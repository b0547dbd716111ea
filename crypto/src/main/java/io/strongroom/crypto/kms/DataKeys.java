package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import java.security.GeneralSecurityException;

/**
 * Data keys as Tink keysets: AES-256-GCM, 12-byte IV, 16-byte tag, no output prefix. A DEK is
 * wrapped as a Tink encrypted keyset, so its bytes never appear outside Tink.
 */
public final class DataKeys {
    /** Algorithm name recorded next to every wrapped DEK. */
    public static final String ALGORITHM = "AES256_GCM";

    private static final AesGcmParameters PARAMETERS;

    static {
        try {
            AeadConfig.register();
            PARAMETERS = AesGcmParameters.builder().setKeySizeBytes(32).setIvSizeBytes(12).setTagSizeBytes(16)
                    .setVariant(AesGcmParameters.Variant.NO_PREFIX).build();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private DataKeys() {}

    /** A new random DEK. */
    public static KeysetHandle generate() throws GeneralSecurityException {
        return KeysetHandle.generateNew(PARAMETERS);
    }

    /**
     * The DEK as an {@link AesGcmDek}: Tink's AES-GCM format, usable on buffer regions. The key
     * bytes leave the keyset only to become a JCE key; the copy taken from Tink is zeroed.
     */
    public static Aead aead(KeysetHandle dek) throws GeneralSecurityException {
        if (dek.size() != 1 || !(dek.getPrimary().getKey() instanceof AesGcmKey key)
                || key.getParameters().getKeySizeBytes() != 32 || key.getParameters().getIvSizeBytes() != AesGcmDek.IV
                || key.getParameters().getTagSizeBytes() != AesGcmDek.TAG
                || key.getParameters().getVariant() != AesGcmParameters.Variant.NO_PREFIX) {
            throw new GeneralSecurityException("a data key must be one AES-256-GCM key (12-byte IV, 16-byte tag, no prefix)");
        }
        byte[] bytes = key.getKeyBytes().toByteArray(InsecureSecretKeyAccess.get());
        try {
            return new AesGcmDek(bytes);
        } finally {
            AesGcmDek.zero(bytes);
        }
    }

    /** The DEK as Tink's own AES-GCM primitive (the reference {@link AesGcmDek} must match). */
    public static Aead tinkAead(KeysetHandle dek) throws GeneralSecurityException {
        return dek.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** Wraps {@code dek} under {@code kek}, binding it to {@code context}. */
    public static byte[] wrap(KeysetHandle dek, Aead kek, byte[] context) throws GeneralSecurityException {
        return TinkProtoKeysetFormat.serializeEncryptedKeyset(dek, kek, context);
    }

    /** Unwraps a DEK wrapped by {@link #wrap} as key material; fails if the KEK or context is wrong. */
    public static KeysetHandle unwrapKeyset(byte[] wrapped, Aead kek, byte[] context) throws GeneralSecurityException {
        return TinkProtoKeysetFormat.parseEncryptedKeyset(wrapped, kek, context);
    }

    /** Unwraps a DEK wrapped by {@link #wrap}; fails if the KEK or context is wrong. */
    public static Aead unwrap(byte[] wrapped, Aead kek, byte[] context) throws GeneralSecurityException {
        return aead(TinkProtoKeysetFormat.parseEncryptedKeyset(wrapped, kek, context));
    }
}
