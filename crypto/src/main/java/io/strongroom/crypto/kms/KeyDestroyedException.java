package io.strongroom.crypto.kms;

import java.time.Instant;

/** The KEK version was destroyed: what it wrapped is unrecoverable. Never retried. */
public class KeyDestroyedException extends KmsException {
    private final String keyId;
    private final String version;
    private final Instant destroyedAt;

    public KeyDestroyedException(String keyId, String version, Instant destroyedAt) {
        super("key " + keyId + " version " + version + " was destroyed at " + destroyedAt
                + ": data wrapped under it cannot be decrypted");
        this.keyId = keyId;
        this.version = version;
        this.destroyedAt = destroyedAt;
    }

    public String keyId() {
        return keyId;
    }

    public String version() {
        return version;
    }

    public Instant destroyedAt() {
        return destroyedAt;
    }
}
