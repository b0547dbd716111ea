package io.strongroom.crypto.kms;

import java.util.Objects;

/**
 * A data key wrapped (encrypted) by a KEK version.
 *
 * @param keyId the KEK id (URI)
 * @param keyVersion the KEK version that wrapped it
 * @param algorithm the DEK's algorithm, e.g. {@code AES256_GCM}
 * @param bytes the wrapped key material
 */
public record WrappedDek(String keyId, String keyVersion, String algorithm, byte[] bytes) {
    public WrappedDek {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keyVersion, "keyVersion");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public String toString() { // never print key material, even wrapped
        return "WrappedDek[" + keyId + " v" + keyVersion + ", " + algorithm + ", " + bytes.length + " bytes]";
    }
}
