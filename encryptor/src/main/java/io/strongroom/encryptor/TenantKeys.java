package io.strongroom.encryptor;

/**
 * Whether a tenant has a key-encryption key, asked without creating one. The encryptor quarantines a record it
 * cannot decode under the tenant its key names only if that tenant has a key (none is minted for a tenant only a
 * record key names). Asking is key administration ({@code KeyAdmin.describe}), which the encryptor does not hold: who
 * starts it and holds the whole KMS answers for it ({@code tenant -> Kmses.hasKek(kms, kms.keyIdFor(tenant), timeout)}).
 */
@FunctionalInterface
public interface TenantKeys {
    /** Knows of no key: a record the encryptor cannot decode stops the task even if it names a tenant (fail closed). */
    TenantKeys NONE_KNOWN = tenant -> false;

    /**
     * False only if the KMS says {@code tenant} has no key; true if it has one, or if the KMS cannot say (the record
     * is then held, like any record of the tenant, until the key works).
     */
    boolean exists(String tenant);
}
