package io.strongroom.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The fault run's faults, one after another while events flow, each once the load generator has got a given share
 * of the events acknowledged: {@code kill -9} of each service (restarted at once), a clean broker restart (SIGTERM;
 * it must leave Kafka's clean-shutdown marker, or the run fails), a {@code kill -9} of the broker, S3 away, the
 * local KMS's key store away, a key rotation and a rewrap. Each is reported on the timeline; while a fault has a
 * process down on purpose, the watchdog lets it be, and every other wait still fails fast on a dead producer or
 * process.
 */
final class FaultTimeline {
    /** The file a Kafka broker leaves in its log directory when it shut down cleanly (and deletes when it starts). */
    static final String CLEAN_SHUTDOWN_MARKER = ".kafka_cleanshutdown";

    private final Path dir;
    private final Duration outage;
    private final Duration stall;
    private final ProcessWatchdog watchdog;
    private final LoadGenerator load;
    private final Consumer<String> timeline;
    private final Path brokerLog;

    /**
     * @param dir the local run's directory ({@code local up})
     * @param outage how long S3 and the KMS stay away
     * @param stall how long the load generator may have nothing acknowledged before the run fails
     */
    FaultTimeline(Path dir, Duration outage, Duration stall, ProcessWatchdog watchdog, LoadGenerator load,
            Consumer<String> timeline) {
        this.dir = dir;
        this.outage = outage;
        this.stall = stall;
        this.watchdog = watchdog;
        this.load = load;
        this.timeline = timeline;
        this.brokerLog = dir.resolve("logs").resolve("kafka.log");
    }

    /** Runs every fault in turn; {@code tenant}'s key is the one rotated and rewrapped, {@code total} the events produced. */
    void run(Path config, String tenant, int total) throws Exception {
        double at = 0.05;
        for (String service : List.of("ingest", "encryptor", "archiver", "coordinator")) {
            load.awaitAcknowledged((long) (total * at), stall, watchdog, brokerLog);
            at += 0.06;
            kill9(service);
            LocalCommand.startService(dir, service);
            watchdog.expect(service);
            timeline.accept("restarted " + service);
        }

        load.awaitAcknowledged((long) (total * 0.30), stall, watchdog, brokerLog);
        watchdog.release("kafka");
        long stopping = System.nanoTime();
        LocalCommand.Stopped how = LocalCommand.terminate(dir, "kafka", Duration.ofSeconds(60));
        boolean clean = how == LocalCommand.Stopped.EXITED && Files.exists(dir.resolve("kafka").resolve(CLEAN_SHUTDOWN_MARKER));
        if (!clean) {
            throw new IllegalStateException("the broker did not shut down cleanly on SIGTERM (" + how + ", "
                    + (Files.exists(dir.resolve("kafka").resolve(CLEAN_SHUTDOWN_MARKER)) ? "" : "no ") + CLEAN_SHUTDOWN_MARKER
                    + "); see " + brokerLog);
        }
        timeline.accept(String.format("broker stopped cleanly (SIGTERM, %.1f s)", (System.nanoTime() - stopping) / 1e9));
        startBroker("broker started again after a clean stop");

        load.awaitAcknowledged((long) (total * 0.38), stall, watchdog, brokerLog);
        kill9("kafka");
        startBroker("broker started again after kill -9");

        load.awaitAcknowledged((long) (total * 0.46), stall, watchdog, brokerLog);
        watchdog.release("s3");
        LocalCommand.stop(dir, "s3", Duration.ofSeconds(30));
        timeline.accept("S3 down for " + outage.toSeconds() + " s");
        hold(outage, "the S3 outage");
        LocalCommand.spawn(dir, "s3", "local", "serve-s3", "--dir", dir.toString());
        LocalCommand.awaitPort(LocalCommand.S3_PORT, Duration.ofSeconds(60), "S3Proxy", dir.resolve("logs/s3.log"), this::alive);
        watchdog.expect("s3");
        timeline.accept("S3 back");

        load.awaitAcknowledged((long) (total * 0.6), stall, watchdog, brokerLog);
        // the local KMS's key store goes away (a file where its directory was: nothing can be read or created there,
        // whoever runs it — file permissions would not stop root); keys a service holds in memory keep working
        Path kms = dir.resolve("kms");
        Path away = dir.resolve("kms.away");
        Files.move(kms, away, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(kms, "the KMS is down (soak run)\n");
        timeline.accept("KMS down for " + outage.toSeconds() + " s (its key store is gone)");
        try {
            hold(outage, "the KMS outage");
        } finally {
            Files.delete(kms);
            Files.move(away, kms, StandardCopyOption.ATOMIC_MOVE);
        }
        timeline.accept("KMS back");

        load.awaitAcknowledged((long) (total * 0.7), stall, watchdog, brokerLog);
        cli("keys", "rotate", "--config", config.toString(), "--tenant", tenant, "--principal", "soak");
        timeline.accept("rotated the key of " + tenant);
        load.awaitAcknowledged((long) (total * 0.8), stall, watchdog, brokerLog);
        cli("keys", "rewrap", "--config", config.toString(), "--tenant", tenant, "--principal", "soak");
        timeline.accept("rewrapped " + tenant + "'s archive onto the new version");
    }

    private void startBroker(String what) throws Exception {
        LocalCommand.spawn(dir, "kafka", "local", "serve-kafka", "--dir", dir.toString());
        LocalCommand.awaitPort(LocalCommand.KAFKA_PORT, Duration.ofSeconds(120), "Kafka", dir.resolve("logs/kafka.log"), this::alive);
        watchdog.expect("kafka");
        timeline.accept(what);
    }

    /** Lets {@code length} pass (an outage), checking meanwhile that the producer and every process still live. */
    private void hold(Duration length, String what) throws Exception {
        long until = System.nanoTime() + length.toNanos();
        Waits.until(what + " to last " + Waits.describe(length), length.plusMinutes(1), Duration.ofMillis(200),
                () -> System.nanoTime() - until >= 0, this::alive, null);
    }

    /** The load generator and every process that should run are alive. */
    private void alive() {
        load.check();
        watchdog.check();
    }

    private void kill9(String name) throws Exception {
        ProcessHandle h = LocalCommand.process(dir, name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        watchdog.release(name);
        h.destroyForcibly(); // SIGKILL
        try {
            h.onExit().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " (pid " + h.pid() + ") still runs 30 s after kill -9", e);
        }
        timeline.accept("kill -9 " + (name.equals("kafka") ? "broker" : name) + " (pid " + h.pid() + ")");
    }

    /** Runs {@code strongroom ARGS} as a process of its own, checking meanwhile that the producer and every process live. */
    private void cli(String... args) throws Exception {
        String name = "cli-" + args[0] + "-" + args[1];
        Path cliLog = dir.resolve("logs").resolve(name + ".log");
        Process p = LocalCommand.spawn(dir, name, args);
        try {
            Waits.until("strongroom " + String.join(" ", args) + " to finish", Duration.ofMinutes(10), Duration.ofMillis(200),
                    () -> !p.isAlive(), this::alive, cliLog.toString());
        } finally {
            p.destroyForcibly(); // nothing if it has finished
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("strongroom " + String.join(" ", args) + " failed (exit " + p.exitValue() + "); see "
                    + cliLog + ProcessWatchdog.tail(cliLog));
        }
    }
}
