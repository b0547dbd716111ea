package io.strongroom.encryptor.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The encryptor's meters, shared by all its tasks. No tenant tag: with thousands of tenants that
 * would be thousands of series; the logs name tenants.
 */
final class EncryptorMetrics {
    private final MeterRegistry registry;
    final AtomicLong openSegments = new AtomicLong();
    final AtomicLong awaitingRecords = new AtomicLong();
    final AtomicLong parkedStreams = new AtomicLong();
    final AtomicLong parkedRecords = new AtomicLong();
    private final Counter bytesSealed;
    private final Counter recordsSealed;
    private final Map<String, Counter> segmentsByVersion = new ConcurrentHashMap<>();
    private final Map<String, Counter> sealReasons = new ConcurrentHashMap<>();
    private final Counter keyFailures;
    private final Counter stateRefused;
    private final Map<String, Counter> undecodable = new ConcurrentHashMap<>();

    EncryptorMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("strongroom.encryptor.segments.open", openSegments, AtomicLong::get)
                .description("Segments open (buffering records)").register(registry);
        Gauge.builder("strongroom.encryptor.records.awaiting.seal", awaitingRecords, AtomicLong::get)
                .description("Records buffered (encrypted) in open segments").register(registry);
        Gauge.builder("strongroom.encryptor.tenants.failed.closed", parkedStreams, AtomicLong::get)
                .description("(tenant, partition) streams held because the tenant's key is unavailable").register(registry);
        Gauge.builder("strongroom.encryptor.records.held", parkedRecords, AtomicLong::get)
                .description("Records held (encrypted under the quarantine key) until their tenant's key is back").register(registry);
        bytesSealed = Counter.builder("strongroom.encryptor.bytes.sealed").baseUnit("bytes")
                .description("Ciphertext bytes of sealed segments").register(registry);
        recordsSealed = Counter.builder("strongroom.encryptor.records.sealed").description("Records in sealed segments").register(registry);
        keyFailures = Counter.builder("strongroom.encryptor.tenant.key.failures")
                .description("Times a tenant's key could not be obtained (the tenant fails closed)").register(registry);
        stateRefused = Counter.builder("strongroom.encryptor.state.refused")
                .description("Times the buffered state (restored from the changelog) was not what the encryptor wrote: "
                        + "moved, truncated or edited; the encryptor stops, nothing is sealed from it").register(registry);
        undecodable("quarantined", 0);
        undecodable("stopped", 0);
    }

    /** A change event this encryptor cannot decode: sealed into a quarantine segment, or the task stopped at it. */
    void undecodable(String outcome) {
        undecodable(outcome, 1);
    }

    private void undecodable(String outcome, int n) {
        undecodable.computeIfAbsent(outcome, o -> Counter.builder("strongroom.encryptor.undecodable")
                .description("Change events the encryptor could not decode: quarantined (sealed as they came under their "
                        + "tenant's key) or stopped (no tenant in the key: the encryptor stopped there, uncommitted)")
                .tag("outcome", o).register(registry)).increment(n);
    }

    void sealed(String keyVersion, String reason, int records, int bytes) {
        segmentsByVersion.computeIfAbsent(keyVersion, v -> Counter.builder("strongroom.encryptor.segments.sealed")
                .description("Segments sealed, by KEK version").tag("key.version", v).register(registry)).increment();
        sealReasons.computeIfAbsent(reason, r -> Counter.builder("strongroom.encryptor.seals")
                .description("Segments sealed, by what closed them").tag("reason", r).register(registry)).increment();
        recordsSealed.increment(records);
        bytesSealed.increment(bytes);
    }

    void stateRefused() {
        stateRefused.increment();
    }

    void keyFailure() {
        keyFailures.increment();
    }
}
