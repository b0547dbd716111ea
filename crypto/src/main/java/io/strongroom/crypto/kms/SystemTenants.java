package io.strongroom.crypto.kms;

/** Tenants Strongroom itself uses; their names contain no characters a data tenant could not have, but are reserved. */
public final class SystemTenants {
    /**
     * Seals what has no usable tenant key: dead letters without a known tenant, and records the
     * encryptor holds while their tenant's key is unavailable. The coordinator creates its key.
     */
    public static final String QUARANTINE = "strongroom-quarantine";
    /**
     * Every tenant name starting with this (in any case) is Strongroom's own ({@link #QUARANTINE}, the audit signing
     * key's {@code strongroom-audit}, and any added later): ingest refuses data for them.
     */
    public static final String RESERVED_PREFIX = "strongroom-";

    private SystemTenants() {}

    /** Whether {@code tenant} is reserved for Strongroom itself (starts with {@link #RESERVED_PREFIX}, ignoring case). */
    public static boolean isReserved(String tenant) {
        return tenant.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length());
    }
}
