package io.strongroom.cli;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.demo.DemoLogging;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code strongroom local up|down|status}: Strongroom on this machine without Docker, every part its own
 * process — a standalone Kafka broker (KRaft, from the Kafka jars in this jar), S3Proxy, and, with
 * {@code --services}, the coordinator, ingest, encryptor, archiver and anomaly detector — with the
 * configuration they share written to {@code DIR/strongroom.yaml}, logs in {@code DIR/logs}, process
 * ids in {@code DIR/pids}.
 */
@Command(name = "local", mixinStandardHelpOptions = true, description = "Run Strongroom on this machine as separate processes, no Docker.",
        subcommands = {LocalCommand.Up.class, LocalCommand.Down.class, LocalCommand.Status.class, LocalCommand.SoakRun.class,
                LocalCommand.ServeKafka.class, LocalCommand.ServeS3.class})
public final class LocalCommand {
    /** Ports of the standalone servers. */
    static final int KAFKA_PORT = 19092;
    static final int CONTROLLER_PORT = 19093;
    static final int S3_PORT = 19000;
    static final String BUCKET = "strongroom-archive";
    /** The services {@code --services} starts, in order. */
    static final List<String> SERVICES = List.of("coordinator", "ingest", "encryptor", "archiver", "anomaly");

    private LocalCommand() {}

    /** Starts {@code args} of this same jar as a process of its own, output to {@code DIR/logs/NAME.log}; records its pid. */
    static Process spawn(Path dir, String name, String... args) throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("pids"));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx" + (name.equals("kafka") ? "1536m" : "1g"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SandboxMain.class.getName()); // local serve-kafka and serve-s3 are sandbox commands
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logs").resolve(name + ".log").toFile())).start();
        Files.writeString(dir.resolve("pids").resolve(name + ".pid"), String.valueOf(p.pid()));
        return p;
    }

    /** The process recorded as {@code name}, if it is alive. */
    static Optional<ProcessHandle> process(Path dir, String name) {
        Path pid = dir.resolve("pids").resolve(name + ".pid");
        try {
            return Files.exists(pid) ? ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).filter(ProcessHandle::isAlive)
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Stops {@code name}: SIGTERM, then SIGKILL after {@code grace}; true if it was running. */
    static boolean stop(Path dir, String name, Duration grace) {
        return terminate(dir, name, grace) != Stopped.NOT_RUNNING;
    }

    /** How {@link #terminate} ended. */
    enum Stopped { NOT_RUNNING, EXITED, KILLED }

    /** SIGTERM to {@code name}, SIGKILL if it has not exited after {@code grace}; says which it took. */
    static Stopped terminate(Path dir, String name, Duration grace) {
        Optional<ProcessHandle> p = process(dir, name);
        if (p.isEmpty()) {
            return Stopped.NOT_RUNNING;
        }
        ProcessHandle h = p.get();
        h.destroy();
        try {
            h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return Stopped.EXITED;
        } catch (Exception e) {
            h.destroyForcibly();
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception stuck) {
                throw new IllegalStateException(name + " (pid " + h.pid() + ") is still running 30 s after SIGKILL", stuck);
            }
            return Stopped.KILLED;
        }
    }

    /** Waits until something listens on {@code port}. */
    static void awaitPort(int port, Duration timeout, String what, Path log) throws Exception {
        awaitPort(port, timeout, what, log, Waits.NOTHING);
    }

    /** Waits until something listens on {@code port}, running {@code alive} on every poll (a process that died). */
    static void awaitPort(int port, Duration timeout, String what, Path log, Waits.Check alive) throws Exception {
        Waits.until(what + " to listen on port " + port, timeout, Duration.ofMillis(200), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        }, alive, log.toString());
    }

    /** Starts the broker and S3Proxy (unless running), writes the configuration; returns its path. */
    static Path up(Path dir) throws Exception {
        Files.createDirectories(dir);
        if (process(dir, "kafka").isEmpty()) {
            spawn(dir, "kafka", "local", "serve-kafka", "--dir", dir.toString());
        }
        if (process(dir, "s3").isEmpty()) {
            spawn(dir, "s3", "local", "serve-s3", "--dir", dir.toString());
        }
        awaitPort(KAFKA_PORT, Duration.ofSeconds(120), "Kafka", dir.resolve("logs/kafka.log"));
        awaitPort(S3_PORT, Duration.ofSeconds(60), "S3Proxy", dir.resolve("logs/s3.log"));
        Path passphrase = Sandbox.passphraseFile(dir);
        Path config = dir.resolve("strongroom.yaml");
        if (!Files.exists(config)) {
            Files.writeString(config, String.join("\n",
                    "# Written by `strongroom local up`: a standalone broker, S3Proxy and a local (development) KMS.",
                    "environment: local",
                    "data-dir: " + dir.resolve("state"),
                    "kafka:",
                    "  bootstrap-servers: 127.0.0.1:" + KAFKA_PORT,
                    "  partitions: 3",
                    "  replication-factor: 1",
                    Sandbox.s3Yaml("http://127.0.0.1:" + S3_PORT, BUCKET),
                    Sandbox.localKmsYaml(dir.resolve("kms"), passphrase),
                    Sandbox.dlqDigestYaml(Sandbox.dlqDigestKeyFile(dir)),
                    "coordinator:",
                    "  tenants: [acme, globex, initech]",
                    ""));
        }
        return config;
    }

    /** Waits until the coordinator's first pass created Strongroom's topics: the other services need them to start. */
    static void awaitTopics(Path config, Duration timeout) throws Exception {
        awaitTopics(config, timeout, Waits.NOTHING);
    }

    /** As above, running {@code alive} on every poll. */
    static void awaitTopics(Path config, Duration timeout, Waits.Check alive) throws Exception {
        var c = ConfigLoader.load(config, Map.of());
        List<String> needed = Topics.ALL.stream().map(t -> t.name()).toList();
        try (Admin admin = Admin.create(c.kafka().clientProperties())) {
            Waits.until("the coordinator to create Strongroom's topics", timeout, Duration.ofMillis(500),
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS).containsAll(needed), alive,
                    config.resolveSibling("logs").resolve("coordinator.log").toString());
        }
    }

    /** Starts {@code service} as a process with the configuration in {@code dir}, unless it runs. */
    static void startService(Path dir, String service) throws IOException {
        if (process(dir, service).isEmpty()) {
            spawn(dir, service, service, "--config", dir.resolve("strongroom.yaml").toString());
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start a standalone Kafka broker and S3Proxy (and with --services every Strongroom service), each its own "
                    + "process, and write DIR/strongroom.yaml for them.")
    static final class Up implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "./local", description = "Where data, logs, pids and the configuration go (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--services", description = "Also start the coordinator, ingest, encryptor, archiver and anomaly detector.")
        boolean services;

        @Override
        public Integer call() throws Exception {
            Path d = dir.toAbsolutePath();
            Path config = up(d);
            if (services) {
                startService(d, "coordinator");
                awaitTopics(config, Duration.ofMinutes(3));
                for (String s : SERVICES.subList(1, SERVICES.size())) {
                    startService(d, s);
                }
            }
            System.out.println("Kafka      127.0.0.1:" + KAFKA_PORT + "   (log " + d.resolve("logs/kafka.log") + ")");
            System.out.println("S3         http://127.0.0.1:" + S3_PORT + "   bucket " + BUCKET);
            System.out.println("config     " + config);
            if (services) {
                System.out.println("services   " + String.join(", ", SERVICES) + " (logs in " + d.resolve("logs") + ", /metrics on 9401-9405)");
            } else {
                System.out.println("run a service: ./strongroom coordinator --config " + config + "   (likewise ingest, encryptor, archiver, anomaly)");
            }
            System.out.println("stop all:  ./strongroom local down --dir " + dir);
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop every process `local up` started (services first).")
    static final class Down implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "./local", description = "The directory of `local up` (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Override
        public Integer call() {
            Path d = dir.toAbsolutePath();
            List<String> order = new ArrayList<>(SERVICES);
            Collections.reverse(order);
            order.addAll(List.of("s3", "kafka"));
            for (String name : order) {
                if (stop(d, name, Duration.ofSeconds(30))) {
                    System.out.println("stopped " + name);
                }
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Which of the local processes run.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "./local", description = "The directory of `local up` (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Override
        public Integer call() {
            Path d = dir.toAbsolutePath();
            Map<String, String> states = new LinkedHashMap<>();
            for (String name : concat(List.of("kafka", "s3"), SERVICES)) {
                states.put(name, process(d, name).map(h -> "running (pid " + h.pid() + ")").orElse("stopped"));
            }
            states.forEach((n, s) -> System.out.printf("%-12s %s%n", n, s));
            return states.values().stream().allMatch(s -> s.startsWith("running")) ? 0 : 3;
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Command(name = "soak", mixinStandardHelpOptions = true,
            description = "The fault and load run: every service its own process, events flowing across many tenants while each "
                    + "service is killed -9, the broker restarts cleanly and is killed -9, S3 and the KMS go away, a key rotates and is rewrapped; then "
                    + "everything is restored and compared with what the CDC topics hold. Exit 1 unless 0 lost, 0 duplicated and 0 altered.")
    static final class SoakRun implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "./soak", description = "Working directory (default: ${DEFAULT-VALUE}); must not be in use.")
        Path dir;

        @Option(names = "--events", defaultValue = "1000000", description = "CDC events (default: ${DEFAULT-VALUE}).")
        int events;

        @Option(names = "--tenants", defaultValue = "50", description = "Tenants, each its own KEK (default: ${DEFAULT-VALUE}).")
        int tenants;

        @Option(names = "--outage", defaultValue = "PT30S", description = "Length of the S3 and KMS outages (default: ${DEFAULT-VALUE}).")
        Duration outage;

        @Option(names = "--no-faults", description = "A baseline run without faults.")
        boolean noFaults;

        @Option(names = "--tables", defaultValue = "3", description = "Tables (CDC topics) per tenant, 1-3 (default: ${DEFAULT-VALUE}).")
        int tables;

        @Override
        public Integer call() throws Exception {
            if (Files.exists(dir.resolve("pids"))) {
                throw new IllegalArgumentException(dir + " holds an earlier run; give another --dir or delete it");
            }
            // the load generator's Kafka clients warn through every broker restart: to a file, the console shows the timeline
            Path log = DemoLogging.toFile(Files.createDirectories(dir.resolve("logs")).resolve("soak.log"));
            Soak.Report r = new Soak(dir, new Soak.Options(events, tenants, outage, !noFaults, tables), System.out).run();
            System.out.println();
            System.out.printf("generated %,d; the CDC topics hold %,d (the load generator re-sent %,d events, %,d of them after an "
                    + "unsure commit; %d producers replaced)%n", r.generated(), r.inTopics(), r.resent(), r.unsure(),
                    r.producerReplacements());
            System.out.printf("restored %,d: lost %,d, duplicated %,d, altered %,d, out of order %,d (against the topics' contents)%n",
                    r.comparison().restored(), r.lost(), r.duplicated(), r.altered(), r.comparison().outOfOrder());
            if (r.neverInTopics() > 0) {
                System.out.printf("%,d generated events are in no CDC topic (lost by the load generator)%n", r.neverInTopics());
            }
            System.out.printf("throughput %,.0f events/s end to end (%.0f s from the first event to everything archived)%n",
                    r.inTopics() / r.seconds(), r.seconds());
            r.peakHeapBytes().forEach((s, b) -> System.out.printf("peak heap %-12s %,d MiB%n", s, b / (1024 * 1024)));
            System.out.printf("peak open segments (encryptor) %,d%n", r.peakOpenSegments());
            r.kmsCalls().forEach((s, n) -> System.out.printf("KMS calls %-12s %,d%n", s, n));
            r.comparison().examples().forEach(e -> System.out.println("example: " + e));
            System.out.println("logs in " + dir.toAbsolutePath().resolve("logs") + " (the load generator's: " + log + ")");
            System.out.println(r.ok() ? "RESULT: nothing lost, nothing duplicated, nothing altered" : "RESULT: FAILED");
            return r.ok() ? 0 : 1;
        }
    }

    @Command(name = "serve-kafka", hidden = true, description = "Run the standalone broker (used by `local up`).")
    static final class ServeKafka implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;

        @Override
        public Integer call() throws Exception {
            EmbeddedKafka kafka = EmbeddedKafka.startAt(dir.resolve("kafka"), KAFKA_PORT, CONTROLLER_PORT);
            System.out.println("kafka listening on " + kafka.bootstrapServers());
            return ServiceCommands.runUntilStopped("kafka", kafka);
        }
    }

    @Command(name = "serve-s3", hidden = true, description = "Run the standalone S3Proxy (used by `local up`).")
    static final class ServeS3 implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;

        @Override
        public Integer call() throws Exception {
            EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), false, S3_PORT);
            s3.createBucket(BUCKET);
            System.out.println("s3 listening on " + s3.endpoint());
            return ServiceCommands.runUntilStopped("s3", s3);
        }
    }
}
