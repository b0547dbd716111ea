package io.strongroom.coordinator;

import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.identity.IdentityFile;

/**
 * The pseudo-tenants whose keys protect Strongroom's own keys rather than a tenant's data. No archived segment names
 * them, so the archive's references never say they are needed; yet a version of theirs disabled or destroyed leaves
 * what it wraps unusable — for good, if destroyed. Key administration refuses to disable or destroy any of their
 * versions: retire them with the KMS's own tools once nothing is wrapped under them.
 */
public final class ServiceKeys {
    private ServiceKeys() {}

    /**
     * Why no version of {@code tenant}'s key may be disabled or destroyed, or null if it is a tenant's own key (the
     * archive's references decide then).
     */
    public static String protectedBecause(String tenant) {
        if (IdentityFile.KEK_TENANT.equals(tenant)) {
            return tenant + "'s key wraps the services' signing identities (identity init --kms): disabled or destroyed, "
                    + "no service holding one could sign its manifests, chain heads or audit trail again. Re-create the "
                    + "identities (strongroom identity rotate), then retire the version with the KMS's own tools";
        }
        if (AuditCheckpoints.KEY_TENANT.equals(tenant)) {
            return tenant + "'s key wraps the audit trail's checkpoint signing key: disabled or destroyed, no audit "
                    + "checkpoint could be signed again. Retire the version with the KMS's own tools once the signing key "
                    + "is re-wrapped";
        }
        return null;
    }
}
