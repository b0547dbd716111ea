package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
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

    /** The DEK as an {@link Aead}. */
    public static Aead aead(KeysetHandle dek) throws GeneralSecurityException {
        return dek.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** Wraps {@code dek} under {@code kek}, binding it to {@code context}. */
    public static byte[] wrap(KeysetHandle dek, Aead kek, byte[] context) throws GeneralSecurityException {
        return TinkProtoKeysetFormat.serializeEncryptedKeyset(dek, kek, context);
    }

    /** Unwraps a DEK wrapped by {@link #wrap}; fails if the KEK or context is wrong. */
    public static Aead unwrap(byte[] wrapped, Aead kek, byte[] context) throws GeneralSecurityException {
        return aead(TinkProtoKeysetFormat.parseEncryptedKeyset(wrapped, kek, context));
    }
}
