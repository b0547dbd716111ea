package io.strongroom.coordinator;

import io.strongroom.avro.Classification;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The rotation coordinator's settings ({@code coordinator.*} in the configuration file).
 *
 * @param tenants tenants whose keys it creates, rotates and publishes
 * @param checkInterval how often it re-checks keys
 * @param policy rotation policy of every tenant without its own
 * @param tenantPolicies policies of particular tenants
 * @param classificationPolicies policies by the most sensitive classification a tenant's data can have
 *     (from {@code ingest.classifications} and {@code ingest.default-classification})
 * @param adminPort port of the admin API; unset: no admin API
 * @param adminBind address the admin API binds to
 * @param approvalWindow how long a dual-control request collects its two approvals
 * @param principals who may call the admin API: roles, API token (SHA-256), TOTP secret file
 * @param verifyInterval how often the coordinator test-restores the archives (and after every rotation)
 * @param verifySample fraction of segments each scheduled verification decrypts
 * @param accessInactiveAfter an admin principal with no activity in the audit trail for this long is revoked
 * @param accessReviewInterval how often the coordinator runs the access review
 * @param totpMaxFailures failed TOTP codes in a row that lock a security officer until another one unlocks them
 */
public record CoordinatorConfig(List<String> tenants, Duration checkInterval, RotationPolicy policy,
        Map<String, RotationPolicy> tenantPolicies, Map<Classification, RotationPolicy> classificationPolicies,
        Integer adminPort, String adminBind, Duration approvalWindow,
        Map<String, Principals.Principal> principals, Duration verifyInterval, Double verifySample,
        Duration accessInactiveAfter, Duration accessReviewInterval, Integer totpMaxFailures) {
    public CoordinatorConfig {
        totpMaxFailures = Objects.requireNonNullElse(totpMaxFailures, Principals.DEFAULT_MAX_FAILURES);
        if (totpMaxFailures < 1 || totpMaxFailures > 100) {
            throw new IllegalArgumentException("coordinator.totp-max-failures must be between 1 and 100, got " + totpMaxFailures);
        }
        accessInactiveAfter = Objects.requireNonNullElse(accessInactiveAfter, Duration.ofDays(90));
        accessReviewInterval = Objects.requireNonNullElse(accessReviewInterval, Duration.ofDays(1));
        if (accessInactiveAfter.isNegative() || accessInactiveAfter.isZero() || accessReviewInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("coordinator.access-inactive-after must be positive and "
                    + "coordinator.access-review-interval at least PT1S, got " + accessInactiveAfter + " and " + accessReviewInterval);
        }
        verifyInterval = Objects.requireNonNullElse(verifyInterval, Duration.ofDays(1));
        verifySample = Objects.requireNonNullElse(verifySample, 1.0);
        if (verifySample <= 0 || verifySample > 1) {
            throw new IllegalArgumentException("coordinator.verify-sample must be in (0, 1], got " + verifySample);
        }
        if (verifyInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("coordinator.verify-interval must be at least PT1S, got " + verifyInterval);
        }
        adminBind = Objects.requireNonNullElse(adminBind, "127.0.0.1");
        approvalWindow = Objects.requireNonNullElse(approvalWindow, Duration.ofHours(1));
        principals = Map.copyOf(Objects.requireNonNullElse(principals, Map.of()));
        classificationPolicies = Map.copyOf(Objects.requireNonNullElse(classificationPolicies, Map.of()));
        if (adminPort != null && (adminPort < 0 || adminPort > 65535)) {
            throw new IllegalArgumentException("coordinator.admin-port must be between 0 and 65535, got " + adminPort);
        }
        for (String name : principals.keySet()) {
            if (!name.matches("[A-Za-z0-9._@-]{1,64}")) {
                throw new IllegalArgumentException("coordinator.principals names must be 1-64 of A-Z a-z 0-9 . _ @ -, got '"
                        + name + "'");
            }
        }
        tenants = List.copyOf(Objects.requireNonNullElse(tenants, List.of()));
        checkInterval = Objects.requireNonNullElse(checkInterval, Duration.ofMinutes(1));
        policy = Objects.requireNonNullElse(policy, RotationPolicy.defaults());
        tenantPolicies = Map.copyOf(Objects.requireNonNullElse(tenantPolicies, Map.of()));
        if (checkInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("coordinator.check-interval must be at least PT1S, got " + checkInterval);
        }
        for (String t : tenantPolicies.keySet()) {
            if (!tenants.contains(t)) {
                throw new IllegalArgumentException("coordinator.tenant-policies names tenant '" + t
                        + "', which is not in coordinator.tenants");
            }
        }
    }

    /** Every setting at its default: no tenants, no admin API. */
    public static CoordinatorConfig defaults() {
        return new CoordinatorConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The policy of {@code tenant}: its own, else its classification's ({@code highest}), else the default. */
    public RotationPolicy policyOf(String tenant, Classification highest) {
        RotationPolicy own = tenantPolicies.get(tenant);
        return own != null ? own : classificationPolicies.getOrDefault(highest, policy);
    }
}
