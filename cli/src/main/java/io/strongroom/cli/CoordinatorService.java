package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.archiver.ArchiveTarget;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.AdminApi;
import io.strongroom.coordinator.DualControl;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.Principals;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.coordinator.TopicProvisioner;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rotation coordinator: every {@code coordinator.check-interval} it provisions topics, creates,
 * rotates and destroys (when approved and due) tenant keys and publishes their states; and, with
 * {@code coordinator.admin-port}, it serves the admin API.
 */
final class CoordinatorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);
    private final AuditingKms kms;
    private final Admin admin;
    private final KafkaProducer<String, io.strongroom.avro.KeyVersionEvent> producer;
    private final ArchiveTarget archive;
    private final KeyRotator rotator;
    private final AdminApi api;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strongroom-coordinator"));
    private final ScheduledExecutorService verifier = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strongroom-verify"));
    private final ScheduledExecutorService auditSigner = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "strongroom-audit-checkpoint"));
    private final io.strongroom.crypto.audit.AuditCheckpoints.Tracker auditHeads = new io.strongroom.crypto.audit.AuditCheckpoints.Tracker();
    private org.apache.kafka.clients.consumer.KafkaConsumer<String, io.strongroom.avro.AuditEvent> auditReader;
    private final java.util.concurrent.atomic.AtomicLong lastCheckpointSeconds = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.Map<String, long[]> verified = new java.util.concurrent.ConcurrentHashMap<>(); // tenant -> {ok, atSeconds}
    private final java.util.concurrent.atomic.AtomicLong verifyRuns = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong verifySuccesses = new java.util.concurrent.atomic.AtomicLong();
    private final StrongroomConfig config;

    private CoordinatorService(StrongroomConfig c, boolean withApi) throws Exception {
        this.config = c;
        this.kms = KmsFactory.create(c, "coordinator");
        this.admin = Admin.create(c.kafka().clientProperties());
        this.producer = new KafkaProducer<>(c.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(),
                Topics.KEYS.valueSerde().serializer());
        this.archive = ArchiveTarget.of(c.s3());
        KeyPublisher publisher = new KeyPublisher(kms, producer, c.kms().timeout(), "coordinator");
        this.rotator = new KeyRotator(kms, publisher, c.kms().timeout(), c::rotationPolicy, Clock.systemUTC(),
                Metrics.globalRegistry);
        this.api = !withApi || c.coordinator().adminPort() == null ? null : new AdminApi(
                new InetSocketAddress(c.coordinator().adminBind(), c.coordinator().adminPort()), kms, rotator, publisher,
                new Principals(c.coordinator().principals()),
                new DualControl(Path.of(c.dataDir(), "coordinator", "requests.json"), new Principals(c.coordinator().principals()),
                        c.coordinator().approvalWindow()),
                tenant -> Rewrap.references(archive, c.environment(), tenant), c::rotationPolicy,
                c.coordinator().tenants(), c.kms().timeout(), Clock.systemUTC());
    }

    /** Starts the periodic pass (the first at once) and the admin API. */
    static CoordinatorService start(StrongroomConfig c) throws Exception {
        CoordinatorService service = new CoordinatorService(c, true);
        service.loop.scheduleWithFixedDelay(service::passQuietly, 0, c.coordinator().checkInterval().toMillis(), TimeUnit.MILLISECONDS);
        long every = c.coordinator().verifyInterval().toMillis();
        service.verifier.scheduleWithFixedDelay(() -> service.verifyTenants(c.coordinator().tenants(), c.coordinator().verifySample()),
                every, every, TimeUnit.MILLISECONDS);
        long sign = c.audit().checkpointInterval().toMillis();
        service.auditSigner.scheduleWithFixedDelay(service::checkpointAuditQuietly, sign, sign, TimeUnit.MILLISECONDS);
        io.micrometer.core.instrument.Gauge.builder("strongroom.audit.checkpoint.last.seconds", service.lastCheckpointSeconds::get)
                .description("When the last signed audit checkpoint was stored (epoch seconds)").register(Metrics.globalRegistry);
        io.micrometer.core.instrument.Gauge.builder("strongroom.verify.success.rate",
                () -> service.verifyRuns.get() == 0 ? 1.0 : (double) service.verifySuccesses.get() / service.verifyRuns.get())
                .description("Share of scheduled test restores that succeeded").register(Metrics.globalRegistry);
        io.micrometer.core.instrument.Gauge.builder("restore.success.rate", // Prometheus: restore_success_rate
                () -> service.verifyRuns.get() == 0 ? 1.0 : (double) service.verifySuccesses.get() / service.verifyRuns.get())
                .description("Share of test restores (scheduled verifications) that succeeded").register(Metrics.globalRegistry);
        return service;
    }

    /** A coordinator that runs passes only when asked ({@code --once}); no admin API. */
    static CoordinatorService startIdle(StrongroomConfig c) throws Exception {
        return new CoordinatorService(c, false);
    }

    /** One pass: topics, keys. Returns the tenants rotated. */
    List<String> pass() {
        var created = TopicProvisioner.ensureTopics(admin, config.kafka().partitions(), config.kafka().replication(),
                config.encryptor().segmentMaxBytes());
        if (!created.isEmpty()) {
            System.out.println("created topics: " + String.join(", ", created));
        }
        List<String> tenants = new ArrayList<>(config.coordinator().tenants());
        tenants.add(DeadLetterSealer.QUARANTINE_TENANT); // seals what has no usable tenant key
        return rotator.runOnce(tenants);
    }

    /** Test-restores each tenant's archives (a sample of them); results as metrics and audit events. */
    void verifyTenants(List<String> tenants, double sample) {
        try (AuditingKms verifyKms = KmsFactory.create(config, "verify")) {
            for (String tenant : tenants) {
                Map<String, Object> report = VerifyCommand.verify(config, verifyKms, tenant, sample >= 1.0 ? null : sample, null,
                        (done, total, events) -> { });
                boolean ok = Boolean.TRUE.equals(report.get("ok"));
                verifyRuns.incrementAndGet();
                if (ok) {
                    verifySuccesses.incrementAndGet();
                }
                if (verified.put(tenant, new long[] {ok ? 1 : 0, java.time.Instant.now().getEpochSecond()}) == null) {
                    io.micrometer.core.instrument.Gauge.builder("strongroom.verify.last.seconds", () -> verified.get(tenant)[1])
                            .description("When the tenant's archives were last test-restored (epoch seconds)").tag("tenant", tenant)
                            .register(Metrics.globalRegistry);
                    io.micrometer.core.instrument.Gauge.builder("strongroom.verify.ok", () -> verified.get(tenant)[0])
                            .description("1 if the tenant's last test restore succeeded").tag("tenant", tenant)
                            .register(Metrics.globalRegistry);
                }
                if (!ok) {
                    LOG.atError().addKeyValue("tenant", tenant).addKeyValue("problems", report.get("problems"))
                            .log("scheduled verification of tenant {} FAILED", tenant);
                }
            }
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("scheduled verification could not run: {}", e.getMessage());
        }
    }

    /** The last verification of {@code tenant}: {ok (1/0), epoch seconds}, or null. */
    long[] lastVerification(String tenant) {
        return verified.get(tenant);
    }

    /** When the last pass succeeded (epoch ms), or 0 before the first. */
    long lastPassOkMs() {
        return lastPassOkMs;
    }

    private volatile long lastPassOkMs;

    private void passQuietly() {
        try {
            List<String> rotated = pass();
            lastPassOkMs = System.currentTimeMillis();
            if (!rotated.isEmpty()) {
                System.out.println("rotated: " + String.join(", ", rotated));
                List<String> tenants = rotated.stream().filter(config.coordinator().tenants()::contains).toList();
                verifier.execute(() -> verifyTenants(tenants, 1.0)); // every rotation is followed by a full test restore
            }
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("coordinator pass failed, retrying at the next interval: {}", e.getMessage());
        }
    }

    /**
     * Reads the audit topic from where the last checkpoint stopped, then signs every emitter's newest event into a
     * checkpoint in S3. Returns where it lies.
     */
    String checkpointAudit() {
        if (auditReader == null) {
            java.util.Map<String, Object> props = new java.util.HashMap<>(config.kafka().clientProperties());
            props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            auditReader = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props, Topics.AUDIT.keySerde().deserializer(),
                    Topics.AUDIT.valueSerde().deserializer());
            var parts = auditReader.partitionsFor(Topics.AUDIT.name()).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            auditReader.assign(parts);
            auditReader.seekToBeginning(parts);
        }
        var end = auditReader.endOffsets(auditReader.assignment());
        while (auditReader.assignment().stream().anyMatch(tp -> auditReader.position(tp) < end.get(tp))) {
            for (var r : auditReader.poll(java.time.Duration.ofMillis(500))) {
                auditHeads.add(new io.strongroom.crypto.audit.AuditVerifier.Positioned(
                        r.topic() + "/" + r.partition() + "/" + r.offset(), r.value()));
            }
        }
        try (var s3 = config.s3().client()) {
            String where = new AuditCheckpointStore(config, s3).checkpoint(kms, auditHeads);
            lastCheckpointSeconds.set(java.time.Instant.now().getEpochSecond());
            LOG.atInfo().addKeyValue("checkpoint", where).addKeyValue("events", auditHeads.count())
                    .log("signed audit checkpoint stored");
            return where;
        }
    }

    private void checkpointAuditQuietly() {
        try {
            checkpointAudit();
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("audit checkpoint failed, retried in {}: {}", config.audit().checkpointInterval(),
                    e.getMessage());
        }
    }

    /** The admin API's port, or -1 without one. */
    int adminPort() {
        return api == null ? -1 : api.port();
    }

    @Override
    public void close() {
        loop.shutdownNow();
        verifier.shutdownNow();
        auditSigner.shutdownNow();
        try {
            loop.awaitTermination(30, TimeUnit.SECONDS);
            auditSigner.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (api != null) {
            api.close();
        }
        if (auditReader != null) {
            auditReader.close();
        }
        producer.close();
        admin.close();
        archive.close();
        kms.close();
    }
}
