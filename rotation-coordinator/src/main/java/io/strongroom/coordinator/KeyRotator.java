package io.strongroom.coordinator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.RegistryIntegrityException;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates tenant KEKs on policy and publishes every change on {@code strongroom.keys}.
 *
 * <p>The KMS is the source of truth: a rotation is due when the <em>current</em> primary is older
 * than the policy's period. A coordinator that crashes after the KMS made the new primary but before
 * it published finds a fresh primary on restart, does not rotate again, and publishes; one that
 * crashes before the KMS rotated rotates on restart. Either way it converges on exactly one new
 * primary. Run one coordinator per KMS.
 *
 * <p>It destroys a version scheduled for destruction only when the approved dual-control request that scheduled
 * it (request id, two distinct approvers and their times) is recorded with the version in the KMS and, when an
 * {@linkplain #withApprovalCheck approval check} is set, that check confirms it. A scheduled version without one
 * (a direct KMS call, an edited registry) is left alone and alerted on: an ERROR log naming tenant and version,
 * an audit event ({@code DESTROY_KEY}, {@code DENIED}) and the counter {@code strongroom.coordinator.unapproved.destroy}.
 * A key registry that does not authenticate is alerted on likewise ({@code strongroom.coordinator.registry.refused})
 * and that tenant is skipped; the others are served.
 */
public final class KeyRotator {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRotator.class);

    private final ManagedKms kms;
    private final KeyPublisher publisher;
    private final Duration kmsTimeout;
    private final Function<String, RotationPolicy> policies;
    private final Clock clock;
    private final Map<String, Status> status = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private volatile BiFunction<String, KeyVersion, String> approvalCheck = (tenant, v) -> null;
    /** Alerts raised by this process, so a pass every few seconds does not repeat them. */
    private final Set<String> alerted = ConcurrentHashMap.newKeySet();

    /**
     * Where a tenant's key stands.
     *
     * @param tenant the tenant
     * @param keyId its KEK
     * @param primaryVersion the current primary version
     * @param primarySince when that version was made
     * @param nextRotation when the next rotation is due
     * @param versions all versions, newest last
     */
    public record Status(String tenant, String keyId, String primaryVersion, Instant primarySince, Instant nextRotation,
            List<KeyVersion> versions) {
        public boolean overdue(Instant now) {
            return !now.isBefore(nextRotation);
        }
    }

    /**
     * @param policies the policy of each tenant
     * @param registry status metrics: primary age, seconds to the next rotation, overdue, per tenant
     */
    public KeyRotator(ManagedKms kms, KeyPublisher publisher, Duration kmsTimeout, Function<String, RotationPolicy> policies,
            Clock clock, MeterRegistry registry) {
        this.kms = kms;
        this.publisher = publisher;
        this.kmsTimeout = kmsTimeout;
        this.policies = policies;
        this.clock = clock;
        this.registry = registry;
    }

    /**
     * One pass: creates missing keys, rotates those due, publishes every version's state.
     *
     * @return the tenants rotated in this pass
     */
    public List<String> runOnce(List<String> tenants) {
        List<String> rotated = new ArrayList<>();
        Instant now = clock.instant();
        for (String tenant : tenants) {
            try {
                runOnce(tenant, now, rotated);
            } catch (RegistryIntegrityException e) {
                registryRefused(tenant, e);
            }
        }
        return rotated;
    }

    /**
     * Adds a check of each destruction approval beyond the record itself (e.g. against the coordinator's own
     * dual-control requests): it returns why {@code version} of {@code tenant} may not be destroyed, or null.
     */
    public KeyRotator withApprovalCheck(BiFunction<String, KeyVersion, String> check) {
        this.approvalCheck = check;
        return this;
    }

    private void runOnce(String tenant, Instant now, List<String> rotated) {
        String keyId = Kmses.await(kms.createKek(tenant), kmsTimeout); // idempotent
        Status s = statusOf(tenant, keyId);
        boolean destroyed = false;
        for (KeyVersion v : s.versions()) { // approved destructions whose waiting period is over
            if (v.state() == KeyState.DESTROY_SCHEDULED && v.destroyAt() != null
                    && !v.destroyAt().isAfter(now)) {
                String problem = v.approval() == null
                        ? "no approved dual-control request is recorded with it (scheduled outside the admin API: "
                                + "a direct KMS call or an edited registry)"
                        : v.approval().problem(now);
                if (problem == null) {
                    problem = approvalCheck.apply(tenant, v);
                }
                if (problem == null) {
                    problem = ServiceKeys.protectedBecause(tenant); // scheduled before this check existed, say
                }
                if (problem != null) {
                    unapproved(tenant, keyId, v, problem);
                    continue;
                }
                Kmses.await(kms.destroy(keyId, v.version()), kmsTimeout);
                LOG.atWarn().addKeyValue("tenant", tenant).addKeyValue("keyId", keyId).addKeyValue("version", v.version())
                        .addKeyValue("approval", v.approval())
                        .log("destroyed key version: what it protected can no longer be decrypted");
                destroyed = true;
            }
        }
        if (destroyed) {
            s = statusOf(tenant, keyId);
            publisher.publish(tenant, keyId, s.versions(), "destroyed");
        }
        if (s.overdue(now)) {
            KeyVersion next = Kmses.await(kms.rotate(keyId), kmsTimeout);
            LOG.atInfo().addKeyValue("tenant", tenant).addKeyValue("keyId", keyId).addKeyValue("from", s.primaryVersion())
                    .addKeyValue("to", next.version()).log("rotated key: primary was {} old",
                            Duration.between(s.primarySince(), now).withNanos(0));
            rotated.add(tenant);
            s = statusOf(tenant, keyId);
        }
        publisher.publish(tenant, keyId, s.versions(), rotated.contains(tenant) ? "rotation" : "ensure");
        record(s);
    }

    private void unapproved(String tenant, String keyId, KeyVersion v, String problem) {
        if (!alerted.add(keyId + "/" + v.version() + "@" + v.destroyAt())) {
            return;
        }
        String detail = "refused to destroy " + keyId + " version " + v.version() + " (scheduled for " + v.destroyAt()
                + "): " + problem;
        LOG.atError().addKeyValue("tenant", tenant).addKeyValue("keyId", keyId).addKeyValue("version", v.version())
                .log("ALERT: tenant {} key version {} is scheduled for destruction without an approved dual-control request: "
                        + "not destroyed ({}); re-enable it, or file a destroy request", tenant, v.version(), problem);
        Counter.builder("strongroom.coordinator.unapproved.destroy")
                .description("Key versions scheduled for destruction without a valid dual-control approval (not destroyed)")
                .tag("tenant", tenant).register(registry).increment();
        if (kms instanceof AuditingKms audited) {
            audited.recordFor(audited.principal(), AuditAction.DESTROY_KEY, AuditOutcome.DENIED, tenant, keyId, v.version(), detail);
        }
    }

    private void registryRefused(String tenant, RegistryIntegrityException e) {
        String identity;
        try {
            identity = Files.getLastModifiedTime(e.file()) + "/" + Files.size(e.file());
        } catch (IOException | RuntimeException unreadable) {
            identity = "unreadable";
        }
        if (!alerted.add("registry/" + tenant + "/" + identity + "/" + e.getMessage())) {
            return;
        }
        LOG.atError().addKeyValue("tenant", tenant).addKeyValue("file", e.file())
                .log("ALERT: tenant {}: {} — nothing is created, rotated or destroyed for it until the file is restored "
                        + "from a trusted copy", tenant, e.getMessage());
        Counter.builder("strongroom.coordinator.registry.refused")
                .description("Key registry files refused because they do not authenticate")
                .tag("tenant", tenant).register(registry).increment();
        if (kms instanceof AuditingKms audited) {
            audited.recordFor(audited.principal(), AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, tenant, kms.keyIdFor(tenant),
                    null, e.getMessage());
        }
    }

    /** Makes a new primary for {@code tenant} now, whatever the policy says (operator request, compromise). */
    public KeyVersion rotateNow(String tenant, String reason) {
        String keyId = Kmses.await(kms.createKek(tenant), kmsTimeout);
        KeyVersion next = Kmses.await(kms.rotate(keyId), kmsTimeout);
        Status s = statusOf(tenant, keyId);
        publisher.publish(tenant, keyId, s.versions(), reason);
        record(s);
        return next;
    }

    /** Where {@code tenant}'s key stands, from the KMS. */
    public Status statusOf(String tenant, String keyId) {
        List<KeyVersion> versions = new ArrayList<>(Kmses.await(kms.describe(keyId), kmsTimeout));
        versions.sort(Comparator.comparing(KeyVersion::createdAt));
        KeyVersion primary = versions.stream().filter(KeyVersion::primary).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("key " + keyId + " has no primary version"));
        return new Status(tenant, keyId, primary.version(), primary.createdAt(),
                primary.createdAt().plus(policies.apply(tenant).rotationPeriod()), List.copyOf(versions));
    }

    /** The last known status of every tenant seen. */
    public Map<String, Status> status() {
        return Map.copyOf(status);
    }

    private void record(Status s) {
        if (status.put(s.tenant(), s) == null) {
            String t = s.tenant();
            Gauge.builder("strongroom.keys.primary.age.seconds", () -> seconds(status.get(t).primarySince(), clock.instant()))
                    .description("Age of the tenant's primary KEK version").tag("tenant", t).register(registry);
            Gauge.builder("strongroom.keys.rotation.due.seconds", () -> seconds(clock.instant(), status.get(t).nextRotation()))
                    .description("Seconds until the next rotation is due (negative: overdue)").tag("tenant", t).register(registry);
            Gauge.builder("strongroom.keys.rotation.overdue", () -> status.get(t).overdue(clock.instant()) ? 1 : 0)
                    .description("1 if the tenant's rotation is overdue").tag("tenant", t).register(registry);
            Gauge.builder("strongroom.keys.primary.version", () -> numeric(status.get(t).primaryVersion()))
                    .description("Current primary version (numeric backends)").tag("tenant", t).register(registry);
        }
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }

    private static double numeric(String version) {
        try {
            return Double.parseDouble(version.replaceAll("[^0-9]", ""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
