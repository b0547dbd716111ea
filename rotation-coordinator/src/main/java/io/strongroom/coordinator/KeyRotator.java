package io.strongroom.coordinator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class KeyRotator {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRotator.class);

    private final Kms kms;
    private final KeyPublisher publisher;
    private final Duration kmsTimeout;
    private final Function<String, RotationPolicy> policies;
    private final Clock clock;
    private final Map<String, Status> status = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

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
    public KeyRotator(Kms kms, KeyPublisher publisher, Duration kmsTimeout, Function<String, RotationPolicy> policies,
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
            String keyId = Kmses.await(kms.createKek(tenant), kmsTimeout); // idempotent
            Status s = statusOf(tenant, keyId);
            boolean destroyed = false;
            for (KeyVersion v : s.versions()) { // approved destructions whose waiting period is over
                if (v.state() == io.strongroom.crypto.kms.KeyState.DESTROY_SCHEDULED && v.destroyAt() != null
                        && !v.destroyAt().isAfter(now)) {
                    Kmses.await(kms.destroy(keyId, v.version()), kmsTimeout);
                    LOG.atWarn().addKeyValue("tenant", tenant).addKeyValue("keyId", keyId).addKeyValue("version", v.version())
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
        return rotated;
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
        versions.sort(java.util.Comparator.comparing(KeyVersion::createdAt));
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
