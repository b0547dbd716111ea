package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.anomaly.AnomalyService;
import io.strongroom.archiver.ArchiverService;
import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestService;
import io.strongroom.ingest.source.PostgresSource;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The long-running services: each runs until SIGTERM or Ctrl-C, then shuts down cleanly. */
final class ServiceCommands {
    private ServiceCommands() {}

    /** Blocks until the JVM is asked to stop, then closes {@code service}. */
    static int runUntilStopped(String name, AutoCloseable service) throws InterruptedException {
        return runUntilStopped(name, service, new CompletableFuture<>());
    }

    /**
     * Blocks until the JVM is asked to stop or {@code failed} completes, then closes {@code service};
     * returns 1 if {@code failed} completed exceptionally.
     */
    static int runUntilStopped(String name, AutoCloseable service, CompletableFuture<?> failed) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        failed.whenComplete((ok, e) -> stopped.countDown());
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "strongroom-" + name + "-shutdown"));
        try {
            stopped.await();
        } finally {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println("strongroom " + name + ": error while stopping: " + e.getMessage());
            }
            closed.countDown();
        }
        if (failed.isCompletedExceptionally()) {
            Throwable cause = failed.handle((ok, e) -> e).join();
            System.err.println("strongroom " + name + ": " + (cause.getCause() != null && cause instanceof CompletionException
                    ? cause.getCause().getMessage() : cause.getMessage()));
            return 1;
        }
        return 0;
    }

    /** Opens a service's resources into the {@link Resources} given; returns what completes when the service fails. */
    @FunctionalInterface
    interface Start {
        CompletableFuture<?> open(Resources resources) throws Exception;
    }

    /**
     * Runs a long-running service: opens its resources with {@code start} (if that fails, closes what it opened and
     * rethrows), then runs until the JVM is asked to stop or the service fails (exit 1, naming why), and closes them
     * in reverse order.
     */
    static int run(String name, Start start) throws Exception {
        Resources resources = new Resources(name);
        CompletableFuture<?> failed;
        try {
            failed = start.open(resources);
        } catch (Exception | Error e) {
            resources.close();
            throw e;
        }
        return runUntilStopped(name, resources, failed);
    }

    /** {@code --metrics-port}. */
    static final class MetricsPort {
        @Option(names = "--metrics-port", paramLabel = "PORT",
                description = "Port of /metrics and /health (default: metrics.base-port + this service's offset; 0: any free port).")
        Integer port;
    }

    static Path stateDir(StrongroomConfig config) {
        return Path.of(config.dataDir(), "streams");
    }

    @Command(name = "ingest", mixinStandardHelpOptions = true,
            description = "Run ingest: CDC topics -> strongroom.changes (exactly once), bad records -> strongroom.ingest.dlq.")
    static final class Ingest implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--source", defaultValue = "kafka", paramLabel = "kafka|postgres",
                description = "kafka: consume CDC topics written by Kafka Connect or services (default). postgres: also run "
                        + "an embedded Debezium PostgreSQL connector (settings under ingest.postgres) writing those topics.")
        Source source;

        enum Source { kafka, postgres }

        @Mixin MetricsPort metrics;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            if (source == Source.postgres) {
                try {
                    c.ingest().postgres().requireComplete();
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("config " + config.file + ": " + e.getMessage());
                }
            }
            return run("ingest", resources -> {
                // Ingest's key use is narrow: it generates data keys to seal dead letters, and never unwraps.
                Kms kms = resources.add(KmsFactory.create(c, "ingest"));
                IngestService ingest = resources.add(IngestService.start(c.ingest(), c.kafka().clientProperties(),
                        stateDir(c), new DeadLetterSealer(kms, c.environment(), DeadLetterSealer.QUARANTINE_TENANT,
                                c.kms().timeout(), DlqDigestKey.load(c))));
                PostgresSource pg = source == Source.postgres ? resources.add(PostgresSource.start(c.ingest().postgres(),
                        c.kafka().clientProperties(), Path.of(c.dataDir()))) : null;
                resources.add(Observability.start(c, "ingest", metrics.port, () -> Observability.streams(ingest.state())));
                return pg == null ? ingest.failed() : CompletableFuture.anyOf(pg.stopped(), ingest.failed());
            });
        }
    }

    @Command(name = "encryptor", mixinStandardHelpOptions = true,
            description = "Run the encryptor: strongroom.changes -> sealed segments on strongroom.segments, one data key each.")
    static final class Encryptor implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin MetricsPort metrics;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            return run("encryptor", resources -> {
                AuditingKms kms = resources.add(KmsFactory.create(c, "encryptor"));
                EncryptorService service = resources.add(EncryptorService.start(c.encryptor(), c.environment(), kms,
                        KmsFactory.tenantKeys(kms, c.encryptor().kmsTimeout()), c.kafka().clientProperties(), stateDir(c),
                        Metrics.globalRegistry));
                resources.add(Observability.start(c, "encryptor", metrics.port, () -> Observability.streams(service.state())));
                return service.failed();
            });
        }
    }

    @Command(name = "archiver", mixinStandardHelpOptions = true,
            description = "Run the archiver: strongroom.segments -> one S3 object per segment (never overwritten).")
    static final class Archiver implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin MetricsPort metrics;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            return run("archiver", resources -> {
                ArchiverService service = resources.add(ArchiverService.start(c.archiver(), c.s3(), c.environment(),
                        c.kafka().clientProperties(), c.signingIdentity(Role.ARCHIVER)));
                ServiceMeters.archiver(service, Metrics.globalRegistry);
                resources.add(Observability.start(c, "archiver", metrics.port, () -> new Observability.Health(
                        service.isRunning(), Map.of("segmentsArchived", service.segmentsArchived(),
                        "targetMisses", service.targetMisses()))));
                return new CompletableFuture<>(); // runs until stopped
            });
        }
    }

    @Command(name = "anomaly", mixinStandardHelpOptions = true,
            description = "Run the anomaly detector: strongroom.audit -> alerts with their evidence on strongroom.alerts "
                    + "(denials, repeated failures, unusual unwrap volume, unexpected unwrappers, restores outside their "
                    + "window, disabled keys in use).")
    static final class Anomaly implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin MetricsPort metrics;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            return run("anomaly", resources -> {
                AnomalyService service = resources.add(AnomalyService.start(c.anomaly(), c.kafka().clientProperties(),
                        stateDir(c)));
                resources.add(Observability.start(c, "anomaly", metrics.port, () -> Observability.streams(service.state())));
                return service.failed();
            });
        }
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true,
            description = "Run the rotation coordinator: create Strongroom's topics, create missing tenant keys, "
                    + "publish key versions on strongroom.keys; repeat every coordinator.check-interval.")
    static final class Coordinator implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--once", description = "Run one pass and exit.")
        boolean once;

        @Mixin MetricsPort metrics;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            if (once) {
                try (CoordinatorService service = Coordinators.idle(c)) {
                    CoordinatorService.Pass pass = service.pass();
                    if (!pass.createdTopics().isEmpty()) {
                        System.out.println("created topics: " + String.join(", ", pass.createdTopics()));
                    }
                    System.out.println("checked " + (c.coordinator().tenants().size() + 1) + " tenant keys"
                            + (pass.rotated().isEmpty() ? "" : ", rotated: " + String.join(", ", pass.rotated())));
                    System.out.println(service.signChainHeads().map(heads -> "signed chain heads: checkpoint "
                            + heads.checkpoint().sequence() + " (" + heads.checkpoint().heads().size() + " chains)")
                            .orElse("chain heads not signed (no coordinator identity)"));
                }
                return 0;
            }
            return run("coordinator", resources -> {
                CoordinatorService service = resources.add(Coordinators.start(c));
                Instant started = Instant.now();
                Duration stale = c.coordinator().checkInterval().multipliedBy(3).plusMinutes(1);
                resources.add(Observability.start(c, "coordinator", metrics.port, () -> {
                    Optional<Instant> last = service.lastPassOk();
                    boolean up = Duration.between(last.orElse(started), Instant.now()).compareTo(stale) < 0;
                    return new Observability.Health(up, Map.of("lastPassOk", last.map(Instant::toString).orElse("none yet")));
                }, () -> StatusPage.html(service.status())));
                return new CompletableFuture<>(); // runs until stopped
            });
        }
    }
}
