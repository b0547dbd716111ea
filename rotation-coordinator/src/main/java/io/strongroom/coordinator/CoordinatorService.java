package io.strongroom.coordinator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.archive.ChainHeads;
import io.strongroom.archive.S3Settings;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.coordinator.internal.AdminApi;
import io.strongroom.coordinator.internal.AuditFollower;
import io.strongroom.coordinator.internal.ChainHeadSigner;
import io.strongroom.coordinator.internal.ConsumerLag;
import io.strongroom.coordinator.internal.DualControl;
import io.strongroom.coordinator.internal.TopicProvisioner;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditTrailReader;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.restore.Verifier;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rotation coordinator. Every {@code coordinator.check-interval} a pass provisions Strongroom's topics and creates,
 * rotates and destroys (when approved and due) tenant keys and publishes their states; every
 * {@code coordinator.verify-interval}, and after every rotation, it test-restores the tenants' archives; every
 * {@code heads.interval} it signs the archive's chain heads, every {@code audit.checkpoint-interval} the audit trail's
 * heads, and every {@code coordinator.access-review-interval} it revokes inactive admin principals. With
 * {@code coordinator.admin-port} it serves the admin API (dual control). {@link #status()} is what the status page
 * shows.
 *
 * <p>{@link #start} runs all of that; {@link #idle} runs only what it is asked ({@code coordinator --once}).
 */
public final class CoordinatorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);
    private static final Duration AUDIT_CATCH_UP = Duration.ofMinutes(1);
    private static final Duration LAG_TIMEOUT = Duration.ofSeconds(10);

    /**
     * What the coordinator runs with.
     *
     * @param environment the deployment's environment
     * @param kafka the coordinator principal's Kafka client properties
     * @param coordinator its own settings ({@code coordinator.*})
     * @param topics how the topics it provisions are laid out
     * @param stateDir where it keeps dual-control requests, TOTP state and the access review ({@code DATA_DIR/coordinator})
     * @param kmsTimeout how long one KMS call may take
     * @param rotationPolicy each tenant's rotation policy
     * @param trust the keys readers trust ({@code identity.trust-file}), read at each use (an operator's edit counts
     *     from the next review, status or admin call); it gives null without a trust file
     * @param archive the primary archive store
     * @param headsInterval how often the archive's chain heads are signed ({@code heads.interval})
     * @param checkpoints where and how audit checkpoints are kept; its Object Lock settings lock chain-head checkpoints too
     * @param checkpointInterval how often the audit trail is checkpointed ({@code audit.checkpoint-interval})
     * @param consumerGroups the services' consumer groups whose lag {@link #status()} reports, in that order
     */
    public record Settings(String environment, Map<String, Object> kafka, CoordinatorConfig coordinator, TopicLayout topics,
            Path stateDir, Duration kmsTimeout, Function<String, RotationPolicy> rotationPolicy, Supplier<TrustFile> trust,
            S3Settings archive, Duration headsInterval, AuditCheckpointStore.Settings checkpoints, Duration checkpointInterval,
            List<ConsumerGroup> consumerGroups) {
        public Settings {
            Objects.requireNonNull(environment, "environment");
            kafka = Map.copyOf(kafka);
            Objects.requireNonNull(coordinator, "coordinator");
            Objects.requireNonNull(topics, "topics");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(kmsTimeout, "kmsTimeout");
            Objects.requireNonNull(rotationPolicy, "rotationPolicy");
            Objects.requireNonNull(trust, "trust");
            Objects.requireNonNull(archive, "archive");
            Objects.requireNonNull(headsInterval, "headsInterval");
            Objects.requireNonNull(checkpoints, "checkpoints");
            Objects.requireNonNull(checkpointInterval, "checkpointInterval");
            for (Duration d : List.of(headsInterval, checkpointInterval)) {
                if (d.compareTo(Duration.ofSeconds(1)) < 0) {
                    throw new IllegalArgumentException("heads.interval and audit.checkpoint-interval must be at least PT1S, got "
                            + headsInterval + " and " + checkpointInterval);
                }
            }
            consumerGroups = List.copyOf(consumerGroups);
        }
    }

    /**
     * How the topics are created: {@code kafka.partitions}, {@code kafka.replication-factor} (empty: the broker's
     * default) and the encryptor's largest segment ({@code encryptor.segment-max-bytes}), which sizes the topics' message limit.
     */
    public record TopicLayout(int partitions, Optional<Short> replication, int segmentMaxBytes) {
        public TopicLayout {
            if (partitions < 1 || segmentMaxBytes < 1) {
                throw new IllegalArgumentException("kafka.partitions and encryptor.segment-max-bytes must be positive, got "
                        + partitions + " and " + segmentMaxBytes);
            }
            Objects.requireNonNull(replication, "replication");
        }
    }

    /** A service's consumer group ({@code service}, as the status page names it; its {@code group.id}). */
    public record ConsumerGroup(String service, String groupId) {
        public ConsumerGroup {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(groupId, "groupId");
        }
    }

    /**
     * What the coordinator is given to work with; it owns and closes {@code kms}.
     *
     * @param kms the coordinator principal's KMS, audited
     * @param identity the coordinator's signing identity, or null (chain heads are then not signed)
     * @param testRestore how a tenant's archives are test-restored
     * @param registry where its meters go
     */
    public record Parts(AuditingKms kms, SigningIdentity identity, TestRestore testRestore, MeterRegistry registry) {
        public Parts {
            Objects.requireNonNull(kms, "kms");
            Objects.requireNonNull(testRestore, "testRestore");
            Objects.requireNonNull(registry, "registry");
        }
    }

    /** A tenant's last test restore. */
    public record Verification(boolean ok, Instant at) {}

    /**
     * What the status page shows.
     *
     * @param tenants each configured tenant's key and last test restore
     * @param testRestores scheduled test restores since start
     * @param testRestoresOk of which succeeded
     * @param lag each service's consumer group and how far behind it is
     * @param kmsLatency per KMS operation as this coordinator sees it: calls and mean milliseconds
     * @param lastAuditCheckpoint when the last signed audit checkpoint was stored, or null
     * @param checkpointInterval how often one is due
     */
    public record Status(Instant at, String environment, List<TenantStatus> tenants, long testRestores, long testRestoresOk,
            List<GroupLag> lag, Map<String, KmsLatency> kmsLatency, Instant lastAuditCheckpoint, Duration checkpointInterval) {
        public Status {
            tenants = List.copyOf(tenants);
            lag = List.copyOf(lag);
            kmsLatency = Collections.unmodifiableMap(new TreeMap<>(kmsLatency));
        }

        /** The share of test restores that succeeded; 1 before the first. */
        public double testRestoreSuccessRate() {
            return testRestores == 0 ? 1.0 : (double) testRestoresOk / testRestores;
        }
    }

    /**
     * One tenant on the status page.
     *
     * @param key its key's versions and schedule, or null with {@code problem} saying why
     * @param segmentsPerVersion how many segments each key version ({@code keyId/version}) protects
     * @param lastTestRestore its last scheduled test restore, or null
     */
    public record TenantStatus(String tenant, KeyRotator.Status key, boolean overdue, Map<String, Integer> segmentsPerVersion,
            Verification lastTestRestore, String problem) {
        public TenantStatus {
            if ((key == null) == (problem == null)) {
                throw new IllegalArgumentException("a tenant's status has its key or a problem, not both or neither: " + tenant);
            }
            segmentsPerVersion = Map.copyOf(segmentsPerVersion);
        }
    }

    /** What a pass did: the topics it created and the tenants whose key it rotated. */
    public record Pass(List<String> createdTopics, List<String> rotated) {
        public Pass {
            createdTopics = List.copyOf(createdTopics);
            rotated = List.copyOf(rotated);
        }
    }

    /** How far a service's group is behind: {@code behind} records, or null with {@code note} saying why. */
    public record GroupLag(String service, String groupId, Long behind, String note) {}

    /** A KMS operation's calls and their mean duration. */
    public record KmsLatency(long calls, double meanMs) {}

    private final Settings settings;
    private final CoordinatorConfig config;
    private final AuditingKms kms;
    private final TestRestore testRestore;
    private final MeterRegistry registry;
    private final Admin admin;
    private final KafkaProducer<String, KeyVersionEvent> producer;
    private final ArchiveTarget archive;
    private final KeyRotator rotator;
    private final AdminApi api;
    private final ChainHeadSigner chainHeads;
    private final AuditFollower audit;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strongroom-coordinator"));
    private final ScheduledExecutorService verifier = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strongroom-verify"));
    private final ScheduledExecutorService signer = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "strongroom-audit-checkpoint"));
    private final Map<String, Verification> verified = new ConcurrentHashMap<>();
    private final AtomicLong verifyRuns = new AtomicLong();
    private final AtomicLong verifySuccesses = new AtomicLong();
    private final AtomicLong lastCheckpointSeconds = new AtomicLong();
    private final AtomicLong lastHeadsSeconds = new AtomicLong();
    private final AtomicReference<Instant> lastPassOk = new AtomicReference<>();
    /** The audit checkpoint this coordinator wrote last, which the next one follows; null: find the newest in the store. */
    private AuditCheckpoints.Stored lastAuditCheckpoint;

    private CoordinatorService(Settings s, Parts parts, boolean withApi) {
        this.settings = s;
        this.config = s.coordinator();
        this.kms = parts.kms();
        this.testRestore = parts.testRestore();
        this.registry = parts.registry();
        List<AutoCloseable> opened = new ArrayList<>(List.of(kms)); // a failed start closes what it was given too
        try {
            this.admin = open(opened, Admin.create(s.kafka()));
            this.producer = open(opened, new KafkaProducer<>(s.kafka(), Topics.KEYS.keySerde().serializer(),
                    Topics.KEYS.valueSerde().serializer()));
            this.archive = open(opened, ArchiveTarget.of(s.archive()));
            this.audit = open(opened, new AuditFollower(s.kafka(), AUDIT_CATCH_UP));
            KeyPublisher publisher = new KeyPublisher(kms, producer, s.kmsTimeout(), "coordinator");
            Principals principals = principals(s); // one instance: its TOTP state (steps used, locks) is shared
            DualControl dualControl = new DualControl(s.stateDir().resolve("requests.json"), principals, config.approvalWindow());
            this.rotator = new KeyRotator(kms, publisher, s.kmsTimeout(), s.rotationPolicy(), Clock.systemUTC(), registry)
                    .withApprovalCheck(dualControl::confirmsDestruction); // destroys only what it approved
            this.chainHeads = parts.identity() == null ? null : open(opened, new ChainHeadSigner(s.kafka(), List.of(archive),
                    s.environment(), parts.identity(), s.trust().get(), s.headsInterval(), s.checkpoints().objectLock(),
                    s.checkpoints().checkpointRetention(), Clock.systemUTC()));
            this.api = !withApi || config.adminPort() == null ? null : open(opened, new AdminApi(
                    new InetSocketAddress(config.adminBind(), config.adminPort()), kms, rotator, publisher, principals,
                    dualControl, tenant -> Rewrap.references(archive, s.environment(), tenant, s.trust().get()), s.rotationPolicy(),
                    config.tenants(), s.kmsTimeout(), Clock.systemUTC()));
        } catch (IOException e) {
            closeAll(opened);
            throw new UncheckedIOException("admin API not started on " + config.adminBind() + ":" + config.adminPort()
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T open(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    private static void closeAll(List<AutoCloseable> opened) {
        for (int i = opened.size() - 1; i >= 0; i--) { // the last opened first
            AutoCloseable c = opened.get(i);
            try {
                c.close();
            } catch (Exception e) {
                LOG.atWarn().setCause(e).log("closing {}: {}", c.getClass().getSimpleName(), e.getMessage());
            }
        }
    }

    /** Where the access review keeps its state under the coordinator's {@code stateDir}: what the admin API honours. */
    public static AccessReview accessReview(Path stateDir, CoordinatorConfig config) {
        return new AccessReview(stateDir.resolve("access.json"), config.accessInactiveAfter(), Clock.systemUTC());
    }

    private static Principals principals(Settings s) {
        return new Principals(s.coordinator().principals()).revokedBy(accessReview(s.stateDir(), s.coordinator())::revoked)
                .withTotpState(s.stateDir().resolve("totp.json"), s.coordinator().totpMaxFailures());
    }

    /**
     * Starts the periodic pass (the first at once), the test restores, the access review, the chain-head and audit
     * checkpoints and the admin API.
     */
    public static CoordinatorService start(Settings settings, Parts parts) {
        CoordinatorService service = new CoordinatorService(settings, parts, true);
        try {
            service.schedule();
        } catch (RuntimeException e) {
            service.close(); // a pass may be running already: nothing is left open behind a failed start
            throw e;
        }
        return service;
    }

    /** A coordinator that does only what it is asked ({@code --once}): no schedule, no admin API. */
    public static CoordinatorService idle(Settings settings, Parts parts) {
        return new CoordinatorService(settings, parts, false);
    }

    private void schedule() {
        loop.scheduleWithFixedDelay(this::passQuietly, 0, config.checkInterval().toMillis(), TimeUnit.MILLISECONDS);
        long every = config.verifyInterval().toMillis();
        verifier.scheduleWithFixedDelay(() -> verifyTenants(config.tenants(), config.verifySample()), every, every,
                TimeUnit.MILLISECONDS);
        long review = config.accessReviewInterval().toMillis();
        signer.scheduleWithFixedDelay(() -> quietly("access review", config.accessReviewInterval(), this::reviewAccess),
                review, review, TimeUnit.MILLISECONDS);
        if (chainHeads != null) {
            signer.scheduleWithFixedDelay(() -> quietly("chain heads", settings.headsInterval(), this::signChainHeads), 0,
                    settings.headsInterval().toMillis(), TimeUnit.MILLISECONDS);
            Gauge.builder("strongroom.archive.heads.last.seconds", lastHeadsSeconds::get)
                    .description("When the last signed chain-head checkpoint was stored (epoch seconds)").register(registry);
        } else {
            LOG.warn("no coordinator identity (identity.directory): chain heads are not signed, a deleted newest segment "
                    + "and its manifest entry go unnoticed");
        }
        long sign = settings.checkpointInterval().toMillis();
        signer.scheduleWithFixedDelay(() -> quietly("audit checkpoint", settings.checkpointInterval(), this::checkpointAudit),
                sign, sign, TimeUnit.MILLISECONDS);
        Gauge.builder("strongroom.audit.checkpoint.last.seconds", lastCheckpointSeconds::get)
                .description("When the last signed audit checkpoint was stored (epoch seconds)").register(registry);
        Gauge.builder("strongroom.verify.success.rate", this::successRate)
                .description("Share of scheduled test restores that succeeded").register(registry);
        Gauge.builder("restore.success.rate", this::successRate) // Prometheus: restore_success_rate
                .description("Share of test restores (scheduled verifications) that succeeded").register(registry);
    }

    /** Successes read before runs: a run counts itself before its success, so the rate never exceeds 1. */
    private double successRate() {
        long ok = verifySuccesses.get();
        long runs = verifyRuns.get();
        return runs == 0 ? 1.0 : Math.min(1.0, (double) ok / runs);
    }

    /** One pass: topics, keys (the configured tenants' and the quarantine's). */
    public Pass pass() {
        TopicLayout t = settings.topics();
        List<String> created = TopicProvisioner.ensureTopics(admin, t.partitions(), t.replication(), t.segmentMaxBytes());
        if (!created.isEmpty()) {
            LOG.atInfo().addKeyValue("topics", created).log("created topics: {}", String.join(", ", created));
        }
        List<String> tenants = new ArrayList<>(config.tenants());
        tenants.add(SystemTenants.QUARANTINE); // seals what has no usable tenant key
        return new Pass(created, rotator.runOnce(tenants));
    }

    private void passQuietly() {
        try {
            List<String> rotated = pass().rotated();
            lastPassOk.set(Instant.now());
            if (!rotated.isEmpty()) {
                LOG.atInfo().addKeyValue("tenants", rotated).log("rotated: {}", String.join(", ", rotated));
                List<String> tenants = rotated.stream().filter(config.tenants()::contains).toList();
                verifier.execute(() -> verifyTenants(tenants, 1.0)); // every rotation is followed by a full test restore
            }
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("coordinator pass failed, retrying at the next interval: {}", e.getMessage());
        }
    }

    /** When the last pass succeeded; empty before the first. */
    public Optional<Instant> lastPassOk() {
        return Optional.ofNullable(lastPassOk.get());
    }

    /**
     * Test-restores each tenant's archives (a {@code sample} of their segments); results as metrics, audit events
     * ({@code VERIFY}) and {@link #lastVerification}.
     */
    public void verifyTenants(List<String> tenants, double sample) {
        try (TestRestore.Session session = testRestore.open()) {
            for (String tenant : tenants) {
                Verifier.Report report = session.verify(tenant, sample >= 1.0 ? null : sample);
                boolean ok = report.ok();
                verifyRuns.incrementAndGet();
                if (ok) {
                    verifySuccesses.incrementAndGet();
                }
                if (verified.put(tenant, new Verification(ok, Instant.now())) == null) {
                    Gauge.builder("strongroom.verify.last.seconds", () -> verified.get(tenant).at().getEpochSecond())
                            .description("When the tenant's archives were last test-restored (epoch seconds)").tag("tenant", tenant)
                            .register(registry);
                    Gauge.builder("strongroom.verify.ok", () -> verified.get(tenant).ok() ? 1 : 0)
                            .description("1 if the tenant's last test restore succeeded").tag("tenant", tenant)
                            .register(registry);
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

    /** The last scheduled test restore of {@code tenant}, or empty. */
    public Optional<Verification> lastVerification(String tenant) {
        return Optional.ofNullable(verified.get(tenant));
    }

    /**
     * Reads the audit topic from where the last checkpoint stopped, then signs every emitter's newest event into a
     * checkpoint in S3, after the last one this coordinator wrote (at start, the newest in the store that authenticates;
     * names taken by others are skipped): a newer one deleted meanwhile is then a gap, not silently written again.
     * Returns where it lies.
     */
    public synchronized String checkpointAudit() {
        audit.catchUp();
        try (var s3 = settings.archive().client()) {
            AuditCheckpoints.Stored written = new AuditCheckpointStore(settings.checkpoints(), s3).checkpoint(
                    AuditCheckpoints.through(kms, settings.environment(), settings.kmsTimeout()), audit.heads(),
                    lastAuditCheckpoint);
            lastAuditCheckpoint = written;
            lastCheckpointSeconds.set(Instant.now().getEpochSecond());
            LOG.atInfo().addKeyValue("checkpoint", written.where()).addKeyValue("events", audit.heads().count())
                    .log("signed audit checkpoint stored");
            return written.where();
        }
    }

    /** Runs the access review: revokes admin principals inactive beyond the policy period (audited). Returns them. */
    public synchronized List<String> reviewAccess() {
        audit.catchUp();
        AccessReview review = accessReview(settings.stateDir(), config);
        // with a trust file only authentic events count: the chains are checked again from the start (heads sign
        // events in batches, so the incremental map cannot tell yet)
        TrustFile trust = settings.trust().get();
        Map<String, Instant> activity = trust == null ? audit.lastActivity() : AuditTrailReader.lastActivity(settings.kafka(), trust);
        List<String> revoked = review.revokeInactive(review.review(config.principals(), activity), kms, "coordinator");
        if (!revoked.isEmpty()) {
            LOG.atWarn().addKeyValue("revoked", revoked).log("access review revoked inactive principals");
        }
        return revoked;
    }

    /** Signs the archive's chain heads now (the schedule does so every {@code heads.interval}); empty without an identity. */
    public Optional<ChainHeads.Stored> signChainHeads() {
        if (chainHeads == null) {
            return Optional.empty();
        }
        ChainHeads.Stored stored = chainHeads.checkpoint();
        lastHeadsSeconds.set(stored.checkpoint().createdAtMs() / 1000);
        return Optional.of(stored);
    }

    private static void quietly(String what, Duration retriedIn, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("{} failed, retried in {}: {}", what, retriedIn, e.getMessage());
        }
    }

    /**
     * What the status page shows: per tenant its key, primary version and age, next rotation, segments per version and
     * last test restore; the test restores' success; each service group's lag; KMS latency as this coordinator sees it;
     * the last signed audit checkpoint. No secrets.
     */
    public Status status() {
        Instant now = Instant.now();
        List<TenantStatus> tenants = new ArrayList<>();
        TrustFile trust = settings.trust().get();
        for (String t : config.tenants()) {
            Verification last = verified.get(t);
            try {
                KeyRotator.Status key = rotator.statusOf(t, kms.keyIdFor(t));
                tenants.add(new TenantStatus(t, key, key.overdue(now),
                        Rewrap.references(archive, settings.environment(), t, trust), last, null));
            } catch (UnknownKeyException e) {
                tenants.add(new TenantStatus(t, null, false, Map.of(), last, "no key yet"));
            } catch (RuntimeException e) {
                tenants.add(new TenantStatus(t, null, false, Map.of(), last, "unknown: " + e.getMessage()));
            }
        }
        List<GroupLag> lag = new ArrayList<>();
        for (ConsumerGroup g : settings.consumerGroups()) {
            try {
                Long behind = ConsumerLag.of(admin, g.groupId(), LAG_TIMEOUT);
                lag.add(new GroupLag(g.service(), g.groupId(), behind, behind == null ? "no commits yet" : null));
            } catch (RuntimeException e) {
                lag.add(new GroupLag(g.service(), g.groupId(), null, "unknown (" + e.getMessage() + ")"));
            }
        }
        Map<String, double[]> sums = new TreeMap<>(); // operation -> {calls, total ms}
        for (Timer timer : registry.find("strongroom.kms.calls").timers()) {
            double[] sum = sums.computeIfAbsent(timer.getId().getTag("operation"), o -> new double[2]);
            sum[0] += timer.count();
            sum[1] += timer.totalTime(TimeUnit.MILLISECONDS);
        }
        Map<String, KmsLatency> latency = new TreeMap<>();
        sums.forEach((operation, sum) -> {
            if (sum[0] > 0) {
                latency.put(operation, new KmsLatency((long) sum[0], sum[1] / sum[0]));
            }
        });
        long checkpoint = lastCheckpointSeconds.get();
        long ok = verifySuccesses.get(); // before the runs, as in successRate()
        return new Status(now, settings.environment(), tenants, verifyRuns.get(), ok, lag, latency, checkpoint == 0 ? null : Instant.ofEpochSecond(checkpoint),
                settings.checkpointInterval());
    }

    /** The admin API's port, or -1 without one. */
    public int adminPort() {
        return api == null ? -1 : api.port();
    }

    @Override
    public void close() {
        // no interrupt while a pass runs: an interrupt during the audit spool's fsync closes its file for good, and the
        // KMS's closing audit head then cannot be written; a pass under way finishes (bounded), only then interrupted
        loop.shutdown();
        signer.shutdown();
        verifier.shutdownNow(); // a test restore may take long; its own KMS and spool are closed by it
        if (chainHeads != null) { // a checkpoint reading the index gives up, so its consumer can be closed below
            chainHeads.wakeup();
        }
        try {
            for (ScheduledExecutorService e : List.of(loop, signer)) {
                if (!e.awaitTermination(30, TimeUnit.SECONDS)) {
                    LOG.warn("a coordinator task did not finish within 30 s of the close: interrupted");
                    e.shutdownNow();
                    e.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<AutoCloseable> owned = new ArrayList<>(List.of(admin, producer, archive, audit)); // closed last to first
        if (chainHeads != null) {
            owned.add(chainHeads);
        }
        if (api != null) {
            owned.add(api);
        }
        closeAll(owned);
        kms.close();
    }
}
