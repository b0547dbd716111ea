package io.strongroom.cli;

import io.strongroom.archiver.ArchiverService;
import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestService;
import io.strongroom.ingest.source.PostgresSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
            System.err.println("strongroom " + name + ": " + (cause.getCause() != null && cause instanceof java.util.concurrent.CompletionException
                    ? cause.getCause().getMessage() : cause.getMessage()));
            return 1;
        }
        return 0;
    }

    /**
     * Completes exceptionally once the Kafka Streams client {@code state} reports reaches ERROR: a failed stream
     * thread shut it down (a refused state, an undecodable record, an unexpected error). The process must then exit
     * 1, naming why, so that its supervisor sees it and restarts or alerts; alive but stopped, it would only lag.
     * Checked every second by a daemon thread.
     *
     * @param cause what failed it, if the service knows
     */
    static CompletableFuture<Void> whenStreamsFail(String name, java.util.function.Supplier<org.apache.kafka.streams.KafkaStreams.State> state,
            java.util.function.Supplier<java.util.Optional<Throwable>> cause) {
        CompletableFuture<Void> failed = new CompletableFuture<>();
        Thread watch = new Thread(() -> {
            try {
                while (state.get() != org.apache.kafka.streams.KafkaStreams.State.ERROR) {
                    Thread.sleep(1000);
                }
                Throwable why = cause.get().orElse(null);
                failed.completeExceptionally(new IllegalStateException(name + " stopped: its Kafka Streams client is in state ERROR"
                        + (why == null ? " (see the log above)" : ": " + why.getMessage()), why));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "strongroom-" + name + "-streams-watch");
        watch.setDaemon(true);
        watch.start();
        return failed;
    }

    /** {@code --metrics-port}. */
    static final class MetricsPort {
        @picocli.CommandLine.Option(names = "--metrics-port", paramLabel = "PORT",
                description = "Port of /metrics and /health (default: metrics.base-port + this service's offset; 0: any free port).")
        Integer port;
    }

    /** Starts {@code /metrics} and {@code /health}; if that fails, closes {@code started} (the service) first. */
    static Observability observe(StrongroomConfig c, String service, Integer port,
            java.util.function.Supplier<Observability.Health> health, AutoCloseable started) {
        return observe(c, service, port, health, null, started);
    }

    static Observability observe(StrongroomConfig c, String service, Integer port,
            java.util.function.Supplier<Observability.Health> health, java.util.function.Supplier<String> statusPage,
            AutoCloseable started) {
        try {
            return Observability.start(c, service, port, health, statusPage);
        } catch (RuntimeException e) {
            try {
                started.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Closes {@code o} if there is one. */
    static void closeQuietly(Observability o) {
        if (o != null) {
            o.close();
        }
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
            // Ingest's key use is narrow: it generates data keys to seal dead letters, and never unwraps.
            Kms kms = KmsFactory.create(c, "ingest");
            IngestService ingest;
            try {
                ingest = IngestService.start(c.ingest(), c.kafka().clientProperties(), stateDir(c),
                        new DeadLetterSealer(kms, c.environment(), DeadLetterSealer.QUARANTINE_TENANT, c.kms().timeout(),
                                DlqDigestKey.load(c)));
            } catch (RuntimeException e) {
                kms.close();
                throw e;
            }
            Observability obs = observe(c, "ingest", metrics.port, () -> Observability.streams(ingest.state()), () -> {
                ingest.close();
                kms.close();
            });
            CompletableFuture<Void> streamsFailed = whenStreamsFail("ingest", ingest::state, java.util.Optional::empty);
            if (source == Source.kafka) {
                return runUntilStopped("ingest", () -> {
                    closeQuietly(obs);
                    ingest.close();
                    kms.close();
                }, streamsFailed);
            }
            PostgresSource pg;
            try {
                pg = PostgresSource.start(c.ingest().postgres(), c.kafka().clientProperties(), Path.of(c.dataDir()));
            } catch (RuntimeException e) {
                closeQuietly(obs);
                ingest.close();
                kms.close();
                throw e;
            }
            return runUntilStopped("ingest", () -> {
                closeQuietly(obs);
                pg.close();
                ingest.close();
                kms.close();
            }, CompletableFuture.anyOf(pg.stopped(), streamsFailed));
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
            AuditingKms kms = KmsFactory.create(c, "encryptor");
            EncryptorService service = EncryptorService.start(c.encryptor(), c.environment(), kms,
                    KmsFactory.tenantKeys(kms, c.encryptor().kmsTimeout()), c.kafka().clientProperties(), stateDir(c),
                    io.micrometer.core.instrument.Metrics.globalRegistry);
            Observability obs = observe(c, "encryptor", metrics.port, () -> Observability.streams(service.state()), () -> {
                service.close();
                kms.close();
            });
            return runUntilStopped("encryptor", () -> {
                closeQuietly(obs);
                service.close();
                kms.close();
            }, whenStreamsFail("encryptor", service::state, service::failure));
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
            ArchiverService service = ArchiverService.start(c.archiver(), c.s3(), c.environment(), c.kafka().clientProperties(),
                    c.signingIdentity(io.strongroom.crypto.identity.Role.ARCHIVER));
            ServiceMeters.archiver(service, io.micrometer.core.instrument.Metrics.globalRegistry);
            Observability obs = observe(c, "archiver", metrics.port, () -> new Observability.Health(service.isRunning(),
                    Map.of("segmentsArchived", service.segmentsArchived(), "targetMisses", service.targetMisses())), service);
            return runUntilStopped("archiver", () -> {
                closeQuietly(obs);
                service.close();
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
            var service = io.strongroom.anomaly.AnomalyService.start(c.anomaly(), c.kafka().clientProperties(), stateDir(c));
            Observability obs = observe(c, "anomaly", metrics.port, () -> Observability.streams(service.state()), service);
            return runUntilStopped("anomaly", () -> {
                closeQuietly(obs);
                service.close();
            }, whenStreamsFail("anomaly", service::state, java.util.Optional::empty));
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
                try (CoordinatorService service = CoordinatorService.startIdle(c)) {
                    List<String> rotated = service.pass();
                    System.out.println("checked " + (c.coordinator().tenants().size() + 1) + " tenant keys"
                            + (rotated.isEmpty() ? "" : ", rotated: " + String.join(", ", rotated)));
                    io.strongroom.archive.ChainHeads.Stored heads = service.signChainHeads();
                    System.out.println(heads == null ? "chain heads not signed (no coordinator identity)"
                            : "signed chain heads: checkpoint " + heads.checkpoint().sequence() + " ("
                                    + heads.checkpoint().heads().size() + " chains)");
                }
                return 0;
            }
            CoordinatorService service = CoordinatorService.start(c);
            long started = System.currentTimeMillis();
            long stale = 3 * c.coordinator().checkInterval().toMillis() + 60_000;
            Observability obs = observe(c, "coordinator", metrics.port, () -> {
                long last = service.lastPassOkMs();
                boolean up = last > 0 ? System.currentTimeMillis() - last < stale : System.currentTimeMillis() - started < stale;
                return new Observability.Health(up, Map.of("lastPassOk", last == 0 ? "none yet" : java.time.Instant.ofEpochMilli(last).toString()));
            }, service::statusPage, service);
            return runUntilStopped("coordinator", () -> {
                closeQuietly(obs);
                service.close();
            });
        }
    }
}
