package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.AdminApi;
import io.strongroom.coordinator.DualControl;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.Principals;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.coordinator.TopicProvisioner;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.restore.Verifier;
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
    /** The audit checkpoint this coordinator wrote last, which the next one follows; null: find the newest in the store. */
    private io.strongroom.crypto.audit.AuditCheckpoints.Stored lastAuditCheckpoint;
    private final java.util.Map<String, java.time.Instant> lastActivity = new java.util.HashMap<>();
    private final java.util.Map<String, long[]> verified = new java.util.concurrent.ConcurrentHashMap<>(); // tenant -> {ok, atSeconds}
    private final java.util.concurrent.atomic.AtomicLong verifyRuns = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong verifySuccesses = new java.util.concurrent.atomic.AtomicLong();
    private final StrongroomConfig config;
    private io.strongroom.coordinator.ChainHeadSigner chainHeads;
    private final java.util.concurrent.atomic.AtomicLong lastHeadsSeconds = new java.util.concurrent.atomic.AtomicLong();

    private CoordinatorService(StrongroomConfig c, boolean withApi) throws Exception {
        this.config = c;
        this.kms = KmsFactory.create(c, "coordinator");
        this.admin = Admin.create(c.kafka().clientProperties());
        this.producer = new KafkaProducer<>(c.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(),
                Topics.KEYS.valueSerde().serializer());
        this.archive = ArchiveTarget.of(c.s3());
        KeyPublisher publisher = new KeyPublisher(kms, producer, c.kms().timeout(), "coordinator");
        Principals principals = principals(c); // one instance: its TOTP state (steps used, locks) is shared
        DualControl dualControl = new DualControl(Path.of(c.dataDir(), "coordinator", "requests.json"), principals,
                c.coordinator().approvalWindow());
        this.rotator = new KeyRotator(kms, publisher, c.kms().timeout(), c::rotationPolicy, Clock.systemUTC(),
                Metrics.globalRegistry).withApprovalCheck(dualControl::confirmsDestruction); // destroys only what it approved
        this.api = !withApi || c.coordinator().adminPort() == null ? null : new AdminApi(
                new InetSocketAddress(c.coordinator().adminBind(), c.coordinator().adminPort()), kms, rotator, publisher,
                principals, dualControl,
                tenant -> Rewrap.references(archive, c.environment(), tenant, c.trust()), c::rotationPolicy,
                c.coordinator().tenants(), c.kms().timeout(), Clock.systemUTC());
    }

    /** The access review whose revocations the admin API honours. */
    static io.strongroom.coordinator.AccessReview accessReview(StrongroomConfig c) {
        return new io.strongroom.coordinator.AccessReview(Path.of(c.dataDir(), "coordinator", "access.json"),
                c.coordinator().accessInactiveAfter(), Clock.systemUTC());
    }

    private static Principals principals(StrongroomConfig c) {
        return new Principals(c.coordinator().principals()).revokedBy(accessReview(c)::revoked)
                .withTotpState(Path.of(c.dataDir(), "coordinator", "totp.json"), c.coordinator().totpMaxFailures());
    }

    /** Starts the periodic pass (the first at once) and the admin API. */
    static CoordinatorService start(StrongroomConfig c) throws Exception {
        CoordinatorService service = new CoordinatorService(c, true);
        service.loop.scheduleWithFixedDelay(service::passQuietly, 0, c.coordinator().checkInterval().toMillis(), TimeUnit.MILLISECONDS);
        long every = c.coordinator().verifyInterval().toMillis();
        service.verifier.scheduleWithFixedDelay(() -> service.verifyTenants(c.coordinator().tenants(), c.coordinator().verifySample()),
                every, every, TimeUnit.MILLISECONDS);
        long review = c.coordinator().accessReviewInterval().toMillis();
        service.auditSigner.scheduleWithFixedDelay(service::reviewAccessQuietly, review, review, TimeUnit.MILLISECONDS);
        if (service.openChainHeads()) {
            long heads = c.heads().interval().toMillis();
            service.auditSigner.scheduleWithFixedDelay(service::signChainHeadsQuietly, 0, heads, TimeUnit.MILLISECONDS);
            io.micrometer.core.instrument.Gauge.builder("strongroom.archive.heads.last.seconds", service.lastHeadsSeconds::get)
                    .description("When the last signed chain-head checkpoint was stored (epoch seconds)")
                    .register(Metrics.globalRegistry);
        } else {
            LOG.warn("no coordinator identity (identity.directory): chain heads are not signed, a deleted newest segment "
                    + "and its manifest entry go unnoticed");
        }
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
                Verifier.Report report = Verification.run(config, verifyKms, tenant, sample >= 1.0 ? null : sample, null,
                        (done, total, events) -> { });
                boolean ok = report.ok();
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
                    LOG.atError().addKeyValue("tenant", tenant).addKeyValue("problems", report.problems())
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
     * checkpoint in S3, after the last one this coordinator wrote (at start, the newest in the store that authenticates;
     * names taken by others are skipped): a newer one deleted meanwhile is then a gap, not silently written again.
     * Returns where it lies.
     */
    synchronized String checkpointAudit() {
        readAudit();
        try (var s3 = config.s3().client()) {
            // after the last one this coordinator wrote, whatever the store holds now (taken names are skipped)
            AuditCheckpoints.Stored written = new AuditCheckpointStore(config.auditCheckpoints(), s3).checkpoint(
                    AuditCheckpoints.through(kms, config.environment(), config.kms().timeout()), auditHeads, lastAuditCheckpoint);
            lastAuditCheckpoint = written;
            String where = written.where();
            lastCheckpointSeconds.set(java.time.Instant.now().getEpochSecond());
            LOG.atInfo().addKeyValue("checkpoint", where).addKeyValue("events", auditHeads.count())
                    .log("signed audit checkpoint stored");
            return where;
        }
    }

    /** Runs the access review: revokes admin principals inactive beyond the policy period (audited). Returns them. */
    List<String> reviewAccess() {
        readAudit();
        var review = accessReview(config);
        // with a trust file only authentic events count: the chains are checked again from the start (heads sign
        // events in batches, so the incremental map cannot tell yet)
        var activity = config.identity().trustFile() == null ? lastActivity : AuditTopic.lastActivity(config);
        var rows = review.review(config.coordinator().principals(), activity);
        List<String> revoked = review.revokeInactive(rows, kms, "coordinator");
        if (!revoked.isEmpty()) {
            LOG.atWarn().addKeyValue("revoked", revoked).log("access review revoked inactive principals");
        }
        return revoked;
    }

    private void reviewAccessQuietly() {
        try {
            reviewAccess();
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("access review failed, retried in {}: {}", config.coordinator().accessReviewInterval(),
                    e.getMessage());
        }
    }

    /**
     * Reads the audit topic from where the last read stopped: chain heads and each principal's last activity. One
     * consumer serves the checkpoint and the access-review threads, so one at a time.
     *
     * @throws IllegalStateException if the topic cannot be read to its end within a minute
     */
    private synchronized void readAudit() {
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
        java.time.Instant deadline = java.time.Instant.now().plus(java.time.Duration.ofMinutes(1));
        while (auditReader.assignment().stream().anyMatch(tp -> auditReader.position(tp) < end.get(tp))) {
            if (java.time.Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("could not read " + Topics.AUDIT.name() + " to its end " + end + " within 1 min");
            }
            for (var r : auditReader.poll(java.time.Duration.ofMillis(500))) {
                auditHeads.add(new io.strongroom.crypto.audit.AuditVerifier.Positioned(
                        r.topic() + "/" + r.partition() + "/" + r.offset(), r.value()));
                lastActivity.merge(r.value().getPrincipal(), java.time.Instant.ofEpochMilli(r.value().getTimestampMs()),
                        (a, b) -> a.isAfter(b) ? a : b);
            }
        }
    }

    /** Opens the chain-head signer if this coordinator has an identity; whether it does. */
    private boolean openChainHeads() {
        io.strongroom.crypto.identity.SigningIdentity identity = config.signingIdentity(
                io.strongroom.crypto.identity.Role.COORDINATOR, kms);
        if (identity != null && chainHeads == null) {
            chainHeads = new io.strongroom.coordinator.ChainHeadSigner(config.kafka().clientProperties(), List.of(archive),
                    config.environment(), identity, config.trust(), config.heads().interval(), config.archiver().objectLock(),
                    config.audit().checkpointRetention(), Clock.systemUTC());
        }
        return chainHeads != null;
    }

    /** Signs the chain heads now (the scheduler does so every {@code heads.interval}); null without an identity. */
    io.strongroom.archive.ChainHeads.Stored signChainHeads() {
        if (!openChainHeads()) {
            return null;
        }
        io.strongroom.archive.ChainHeads.Stored stored = chainHeads.checkpoint();
        lastHeadsSeconds.set(stored.checkpoint().createdAtMs() / 1000);
        return stored;
    }

    private void signChainHeadsQuietly() {
        try {
            signChainHeads();
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("chain heads not signed, retried in {}: {}", config.heads().interval(), e.getMessage());
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

    /**
     * The status page: per tenant its key, primary version and age, next rotation, segments per version and last test
     * restore; the restore success rate; consumer lag of every Strongroom service's group; KMS latency as this
     * coordinator sees it; the last signed audit checkpoint. Read-only, no secrets; refreshes itself every 30 s.
     */
    String statusPage() {
        java.time.Instant now = java.time.Instant.now();
        StringBuilder h = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"refresh\" content=\"30\"><title>Strongroom status: " + Html.esc(config.environment())
                + "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
                + "td,th{border:1px solid #bbb;padding:4px 10px;text-align:left}th{background:#eee}.bad{color:#b00;font-weight:bold}"
                + ".ok{color:#070;font-weight:bold}</style></head><body>");
        h.append("<h1>Strongroom status: ").append(Html.esc(config.environment())).append("</h1><p>As of ")
                .append(now).append("</p>");
        h.append("<h2>Key rotation</h2><table id=\"rotation\"><tr><th>tenant</th><th>key</th><th>primary</th><th>primary since</th>"
                + "<th>next rotation</th><th>status</th><th>segments per version</th><th>last test restore</th></tr>");
        for (String t : config.coordinator().tenants()) {
            h.append("<tr><td>").append(Html.esc(t)).append("</td>");
            try {
                var s = rotator.statusOf(t, kms.keyIdFor(t));
                boolean overdue = s.overdue(now);
                h.append("<td>").append(Html.esc(s.keyId())).append("</td><td>v").append(Html.esc(s.primaryVersion()))
                        .append("</td><td>").append(s.primarySince()).append("</td><td>").append(s.nextRotation()).append("</td><td class=\"")
                        .append(overdue ? "bad\">OVERDUE" : "ok\">on schedule").append("</td><td>")
                        .append(Html.esc(Rewrap.references(archive, config.environment(), t, config.trust()).entrySet().stream()
                                .map(r -> "v" + r.getKey().substring(r.getKey().lastIndexOf('/') + 1) + ": " + r.getValue())
                                .collect(java.util.stream.Collectors.joining(", ")))).append("</td>");
            } catch (io.strongroom.crypto.kms.UnknownKeyException e) {
                h.append("<td colspan=\"6\">no key yet</td>");
            }
            long[] v = verified.get(t);
            h.append("<td>").append(v == null ? "not yet" : (v[0] == 1 ? "<span class=\"ok\">ok</span>" : "<span class=\"bad\">FAILED</span>")
                    + " at " + java.time.Instant.ofEpochSecond(v[1])).append("</td></tr>");
        }
        h.append("</table>");
        h.append("<h2>Restores</h2><p>Test restore success rate: <b id=\"restore-rate\">")
                .append(String.format("%.0f %%", 100.0 * (verifyRuns.get() == 0 ? 1.0 : (double) verifySuccesses.get() / verifyRuns.get())))
                .append("</b> of ").append(verifyRuns.get()).append(" scheduled test restores.</p>");
        h.append("<h2>Consumer lag</h2><table id=\"lag\"><tr><th>service</th><th>group</th><th>records behind</th></tr>");
        Map<String, String> groups = new java.util.LinkedHashMap<>();
        groups.put("ingest", config.ingest().applicationId());
        groups.put("encryptor", config.encryptor().applicationId());
        groups.put("archiver", config.archiver().groupId());
        groups.put("anomaly", config.anomaly().applicationId());
        groups.forEach((service, group) -> h.append("<tr><td>").append(service).append("</td><td>").append(Html.esc(group))
                .append("</td><td>").append(lag(group)).append("</td></tr>"));
        h.append("</table><h2>KMS latency (this coordinator)</h2><table id=\"kms\"><tr><th>operation</th><th>calls</th><th>mean</th></tr>");
        Map<String, double[]> byOperation = new java.util.TreeMap<>(); // operation -> {calls, total ms}
        for (var timer : Metrics.globalRegistry.find("strongroom.kms.calls").timers()) {
            double[] sum = byOperation.computeIfAbsent(timer.getId().getTag("operation"), o -> new double[2]);
            sum[0] += timer.count();
            sum[1] += timer.totalTime(TimeUnit.MILLISECONDS);
        }
        byOperation.forEach((operation, sum) -> {
            if (sum[0] > 0) {
                h.append("<tr><td>").append(Html.esc(operation)).append("</td><td>").append((long) sum[0])
                        .append("</td><td>").append(String.format("%.2f ms", sum[1] / sum[0])).append("</td></tr>");
            }
        });
        long checkpoint = lastCheckpointSeconds.get();
        h.append("</table><h2>Audit trail</h2><p>Last signed checkpoint: ").append(checkpoint == 0 ? "none yet (every "
                + config.audit().checkpointInterval() + ")" : java.time.Instant.ofEpochSecond(checkpoint).toString()).append("</p>");
        return h.append("</body></html>\n").toString();
    }

    /** Records the group is behind on its input, summed over partitions, or why it cannot be said. */
    private String lag(String group) {
        try {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            if (committed.isEmpty()) {
                return "no commits yet";
            }
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            long behind = 0;
            for (var e : committed.entrySet()) {
                if (e.getValue() != null && ends.containsKey(e.getKey())) {
                    behind += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                }
            }
            return String.format("%,d", behind);
        } catch (Exception e) {
            return "unknown (" + Html.esc(e.getMessage()) + ")";
        }
    }

    /** The admin API's port, or -1 without one. */
    int adminPort() {
        return api == null ? -1 : api.port();
    }

    @Override
    public void close() {
        // no interrupt while a pass runs: an interrupt during the audit spool's fsync closes its file for good, and the
        // KMS's closing audit head then cannot be written; a pass under way finishes (bounded), only then interrupted
        loop.shutdown();
        auditSigner.shutdown();
        verifier.shutdownNow(); // a test restore may take long; its own KMS and spool are closed by it
        if (chainHeads != null) { // a checkpoint reading the index gives up, so its consumer can be closed below
            chainHeads.wakeup();
        }
        try {
            for (ScheduledExecutorService e : List.of(loop, auditSigner)) {
                if (!e.awaitTermination(30, TimeUnit.SECONDS)) {
                    e.shutdownNow();
                    e.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (api != null) {
            api.close();
        }
        if (auditReader != null) {
            auditReader.close();
        }
        if (chainHeads != null) {
            chainHeads.close();
        }
        producer.close();
        admin.close();
        archive.close();
        kms.close();
    }
}
