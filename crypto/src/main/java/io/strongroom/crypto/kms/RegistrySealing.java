package io.strongroom.crypto.kms;

import java.nio.file.Path;
import java.util.List;

/**
 * A backend that keeps a key registry of its own (the {@code local} and {@code pkcs11} backends) whose files, written
 * before registries carried a MAC, an operator seals once after upgrading ({@code strongroom keys seal-registry}).
 */
public interface RegistrySealing {
    /**
     * Authenticates (once) every registry file written before registries were authenticated; files already sealed are
     * checked. For a key holder who knows the files are the KMS's own.
     *
     * @return the tenants whose file was sealed now
     * @throws RegistryIntegrityException naming a file whose MAC does not verify
     */
    List<String> sealRegistry();

    /** The registry file of {@code tenant} (whether or not it exists). */
    Path registryFile(String tenant);
}
