package io.strongroom.crypto.kms;

import java.nio.file.Path;

/**
 * A key registry file that does not authenticate (edited, copied from another tenant, or written before the
 * registry was authenticated and not sealed since). The KMS refuses it: nothing is read from it, nothing is
 * destroyed on its word.
 */
public final class RegistryIntegrityException extends KmsException {
    private final String tenant;
    private final transient Path file;

    public RegistryIntegrityException(String tenant, Path file, String message) {
        super(message);
        this.tenant = tenant;
        this.file = file;
    }

    /** The tenant whose registry file it is. */
    public String tenant() {
        return tenant;
    }

    /** The file. */
    public Path file() {
        return file;
    }
}
