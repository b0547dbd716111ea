package io.strongroom.crypto.kms;

/** Tenants Strongroom itself uses; their names contain no characters a data tenant could not have, but are reserved. */
public final class SystemTenants {
    /**
     * Seals what has no usable tenant key: dead letters without a known tenant, and records the
     * encryptor holds while their tenant's key is unavailable. The coordinator creates its key.
     */
    public static final String QUARANTINE = "strongroom-quarantine";

    private SystemTenants() {}
}
