package io.strongroom.crypto.kms;

import java.util.regex.Pattern;

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

    /** What a tenant name may be, data tenant or Strongroom's own: it is part of key ids, aliases and object names. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private SystemTenants() {}

    /** Whether {@code tenant} is a well-formed tenant name ({@link #NAME}). */
    public static boolean isWellFormed(String tenant) {
        return NAME.matcher(tenant).matches();
    }

    /** Whether {@code tenant} may carry customers' data: well formed and not {@linkplain #isReserved reserved}. */
    public static boolean isDataTenant(String tenant) {
        return isWellFormed(tenant) && !isReserved(tenant);
    }

    /** Whether {@code tenant} is reserved for Strongroom itself (starts with {@link #RESERVED_PREFIX}, ignoring case). */
    public static boolean isReserved(String tenant) {
        return tenant.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length());
    }
}
