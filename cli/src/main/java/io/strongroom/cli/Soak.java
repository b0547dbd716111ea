package io.strongroom.cli;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.RestoreComparison;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.CdcRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The fault and load run: every service as its own process ({@code strongroom local up --services}), CDC events
 * produced at a steady pace across many tenants while faults are injected one after another — {@code kill -9} of
 * each service, a broker restart, an S3 outage, a KMS outage, a key rotation and a rewrap — then everything is
 * restored and compared with what was produced: events lost and duplicated (both must be 0), the fault timeline,
 * throughput and the peak heap of each service.
 */
public final class Soak {
    /**
     * What to run.
     *
     * @param events CDC events to produce
     * @param tenants tenants (each its own KEK)
     * @param outage how long the S3 and KMS outages last
     * @param faults whether to inject faults (off: a baseline run)
     * @param tables tables (CDC topics) per tenant, 1-3
     */
    public record Options(int events, int tenants, Duration outage, boolean faults, int tables) {
        public Options(int events, int tenants, Duration outage, boolean faults) {
            this(events, tenants, outage, faults, 3);
        }
    }

    /**
     * The outcome.
     *
     * @param produced events acknowledged by the broker
     * @param lost produced but not restored
     * @param duplicated restored more than once
     * @param comparison the full comparison of the restore with what was produced
     * @param timeline faults, each with when it happened (seconds since the start)
     * @param seconds wall time from the first event to everything archived
     * @param peakHeapBytes the highest heap use each service reported on /metrics
     * @param peakOpenSegments the most segments the encryptor had open at once
     * @param kmsCalls KMS calls each service reported (since its last start)
     */
    public record Report(long produced, long lost, long duplicated, RestoreComparison comparison, List<String> timeline,
            double seconds, Map<String, Long> peakHeapBytes, long peakOpenSegments, Map<String, Long> kmsCalls) {
        public boolean ok() {
            return lost == 0 && duplicated == 0 && comparison.matches();
        }
    }

    private static final Map<String, Integer> METRICS_PORTS = Map.of("ingest", 9401, "encryptor", 9402, "archiver", 9403,
            "coordinator", 9404, "anomaly", 9405);
    private final Path dir;
    private final Options options;
    private final PrintStream log;
    private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Long> peakHeap = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Long> kmsCalls = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long openSegments;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private long start;
    private volatile boolean sampling = true;

    public Soak(Path dir, Options options, PrintStream log) {
        this.dir = dir.toAbsolutePath();
        this.options = options;
        this.log = log;
    }

    private void event(String what) {
        String line = String.format("%7.1f s  %s", (System.nanoTime() - start) / 1e9, what);
        timeline.add(line);
        log.println(line);
    }

    /** Runs it all; leaves the processes stopped. */
    public Report run() throws Exception {
        Path config = LocalCommand.up(dir);
        // seal segments quickly, so that the end of the run is not a minute of waiting for the last ones
        String yaml = Files.readString(config);
        if (!yaml.contains("segment-max-age")) {
            Files.writeString(config, yaml + "encryptor:\n  segment-max-age: PT2S\n");
        }
        StrongroomConfig c = ConfigLoader.load(config, Map.of());
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < options.tenants(); i++) {
            tenants.add("t" + String.format("%05d", i));
        }
        CdcGenerator generator = new CdcGenerator(new CdcGenerator.Options(7, tenants, options.events(),
                CdcGenerator.DEFAULT_CANARY, 0.01, false, true, "cdc", options.tables()));
        try (Admin admin = Admin.create(c.kafka().clientProperties())) {
            List<org.apache.kafka.clients.admin.NewTopic> topics = generator.topics().stream()
                    .map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 1, (short) 1)).toList();
            for (int i = 0; i < topics.size(); i += 500) { // the broker refuses very large batches
                admin.createTopics(topics.subList(i, Math.min(topics.size(), i + 500))).all().get(5, TimeUnit.MINUTES);
            }
        }
        LocalCommand.startService(dir, "coordinator");
        LocalCommand.awaitTopics(config, Duration.ofMinutes(3));
        for (String s : List.of("ingest", "encryptor", "archiver", "anomaly")) {
            LocalCommand.startService(dir, s);
        }
        for (int port : List.of(9401, 9402, 9403, 9405)) {
            LocalCommand.awaitPort(port, Duration.ofSeconds(120), "a service", dir.resolve("logs"));
        }
        List<CdcRecord> records = generator.generate();
        AtomicBoolean producing = new AtomicBoolean(true);
        List<CdcProducer.Produced> produced = Collections.synchronizedList(new ArrayList<>());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerProperties(c), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            long warm = System.nanoTime();
            knowTopics(p, generator.topics()); // before the clock starts: it is the load generator's cost, not the pipeline's
            log.printf("producer has the metadata of %,d topics (%.1f s)%n", generator.topics().size(), (System.nanoTime() - warm) / 1e9);
            start = System.nanoTime();
            event("services up; producing " + records.size() + " events for " + tenants.size() + " tenants");
            Thread producer = new Thread(() -> produce(p, records, produced, producing), "soak-producer");
            producer.start();
            Thread sampler = new Thread(this::sampleHeap, "soak-heap");
            sampler.setDaemon(true);
            sampler.start();
            if (options.faults()) {
                faults(config, tenants.get(0), produced, records.size());
            }
            producer.join();
        }
        producing.set(false);
        event("all " + produced.size() + " events acknowledged by the broker");
        awaitDrained(c);
        double seconds = (System.nanoTime() - start) / 1e9;
        event("everything archived (lag 0, segments sealed and committed)");
        Path out = restoreEveryTenant(c, tenants);
        sampling = false;
        RestoreComparison comparison = RestoreComparison.compare(List.copyOf(produced), out);
        for (String s : LocalCommand.SERVICES) {
            LocalCommand.stop(dir, s, Duration.ofSeconds(30));
        }
        LocalCommand.stop(dir, "s3", Duration.ofSeconds(30));
        LocalCommand.stop(dir, "kafka", Duration.ofSeconds(30));
        return new Report(produced.size(), comparison.missing(), comparison.duplicates(), comparison, List.copyOf(timeline), seconds,
                new java.util.TreeMap<>(peakHeap), openSegments, new java.util.TreeMap<>(kmsCalls));
    }

    /**
     * Restores each tenant on its own, several at once, into one JSONL file. One listing of the whole environment
     * pages through every object in order; S3Proxy's filesystem store walks its whole tree for every page of it
     * (about 6 s a page at 140,000 objects), where a tenant's prefix takes milliseconds.
     */
    private Path restoreEveryTenant(StrongroomConfig c, List<String> tenants) throws Exception {
        Path parts = Files.createDirectories(dir.resolve("restored"));
        Path out = dir.resolve("restored.jsonl");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(c.restore().parallelism());
        try (Kms kms = KmsFactory.create(c, "restore"); S3Client s3 = c.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout());
            List<Future<RestoreJob.Result>> results = new ArrayList<>();
            for (String tenant : tenants) {
                results.add(pool.submit(() -> RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, null,
                        parts.resolve(tenant + ".jsonl"), 1), (d, t, e) -> { })));
            }
            long events = 0;
            int segments = 0;
            List<String> problems = new ArrayList<>();
            for (Future<RestoreJob.Result> f : results) {
                RestoreJob.Result r = f.get();
                events += r.events();
                segments += r.segments();
                problems.addAll(r.problems());
            }
            event("restored " + events + " events from " + segments + " segments of " + tenants.size() + " tenants"
                    + (problems.isEmpty() ? "" : ", problems: " + problems));
        } finally {
            pool.shutdownNow();
        }
        try (java.io.OutputStream o = Files.newOutputStream(out)) {
            for (String tenant : tenants) {
                Path part = parts.resolve(tenant + ".jsonl");
                if (Files.exists(part)) {
                    Files.copy(part, o);
                }
            }
        }
        return out;
    }

    /** Produces at a steady pace (about 2 minutes for the whole run, faults included), recording what the broker acknowledged. */
    private static Map<String, Object> producerProperties(StrongroomConfig c) {
        Map<String, Object> props = new HashMap<>(c.kafka().clientProperties());
        props.put("acks", "all");
        props.put("enable.idempotence", true);
        props.put("linger.ms", 20);
        props.put("compression.type", "lz4");
        props.put("delivery.timeout.ms", 600_000); // ride out a broker restart: never give up on an event
        props.put("max.block.ms", 600_000);
        // with thousands of tenants' topics, each is written to rarely: keep their metadata instead of forgetting it
        // after 5 idle minutes and blocking the next send to fetch it again
        props.put("metadata.max.idle.ms", 3_600_000);
        return props;
    }

    /**
     * Fetches the metadata of every topic: a producer's first send to a topic waits for it, one topic at a time, which
     * with 10,000 tenants' topics took minutes. Many threads asking at once share each metadata request.
     */
    private static void knowTopics(KafkaProducer<byte[], byte[]> p, List<String> topics) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(64);
        try {
            List<Future<?>> asked = new ArrayList<>();
            for (String topic : topics) {
                asked.add(pool.submit(() -> p.partitionsFor(topic)));
            }
            for (Future<?> f : asked) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void produce(KafkaProducer<byte[], byte[]> p, List<CdcRecord> records, List<CdcProducer.Produced> produced,
            AtomicBoolean producing) {
        int batch = Math.max(1000, records.size() / 240);
        long pauseMs = options.faults() ? 500 : 0;
        try {
            for (int from = 0; from < records.size(); from += batch) {
                List<CdcRecord> slice = records.subList(from, Math.min(records.size(), from + batch));
                List<Future<RecordMetadata>> futures = new ArrayList<>();
                for (CdcRecord r : slice) {
                    ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(r.topic(), null, r.timestampMs(), r.key(), r.value());
                    r.headers().forEach(h -> pr.headers().add(h.getKey(), h.getValue()));
                    futures.add(p.send(pr));
                }
                for (int i = 0; i < slice.size(); i++) {
                    RecordMetadata md = futures.get(i).get();
                    produced.add(new CdcProducer.Produced(slice.get(i), md.partition(), md.offset()));
                }
                if (pauseMs > 0) {
                    Thread.sleep(pauseMs); // pacing, so that events flow while the faults happen
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("producing CDC events failed: " + e.getMessage(), e);
        }
    }

    /** The fault timeline, one after another, each once events flow. */
    private void faults(Path config, String tenant, List<CdcProducer.Produced> produced, int total) throws Exception {
        double at = 0.05;
        for (String service : List.of("ingest", "encryptor", "archiver", "coordinator")) {
            awaitProduced(produced, total, at);
            at += 0.07;
            kill9(service);
            LocalCommand.startService(dir, service);
            event("restarted " + service);
        }
        awaitProduced(produced, total, 0.35);
        LocalCommand.stop(dir, "kafka", Duration.ofSeconds(60));
        event("broker stopped");
        LocalCommand.spawn(dir, "kafka", "local", "serve-kafka", "--dir", dir.toString());
        LocalCommand.awaitPort(LocalCommand.KAFKA_PORT, Duration.ofSeconds(120), "Kafka", dir.resolve("logs/kafka.log"));
        event("broker started again");

        awaitProduced(produced, total, 0.45);
        LocalCommand.stop(dir, "s3", Duration.ofSeconds(30));
        event("S3 down for " + options.outage().toSeconds() + " s");
        Thread.sleep(options.outage().toMillis()); // the outage itself
        LocalCommand.spawn(dir, "s3", "local", "serve-s3", "--dir", dir.toString());
        LocalCommand.awaitPort(LocalCommand.S3_PORT, Duration.ofSeconds(60), "S3Proxy", dir.resolve("logs/s3.log"));
        event("S3 back");

        awaitProduced(produced, total, 0.6);
        // the local KMS's key store goes away (a file where its directory was: nothing can be read or created there,
        // whoever runs it — file permissions would not stop root); keys a service holds in memory keep working
        Path kms = dir.resolve("kms");
        Path away = dir.resolve("kms.away");
        Files.move(kms, away, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(kms, "the KMS is down (soak run)\n");
        event("KMS down for " + options.outage().toSeconds() + " s (its key store is gone)");
        Thread.sleep(options.outage().toMillis()); // the outage itself
        Files.delete(kms);
        Files.move(away, kms, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        event("KMS back");

        awaitProduced(produced, total, 0.7);
        cli("keys", "rotate", "--config", config.toString(), "--tenant", tenant, "--principal", "soak");
        event("rotated the key of " + tenant);
        awaitProduced(produced, total, 0.8);
        cli("keys", "rewrap", "--config", config.toString(), "--tenant", tenant, "--principal", "soak");
        event("rewrapped " + tenant + "'s archive onto the new version");
    }

    private void kill9(String service) throws Exception {
        ProcessHandle h = LocalCommand.process(dir, service).orElseThrow(() -> new IllegalStateException(service + " is not running"));
        new ProcessBuilder("kill", "-9", String.valueOf(h.pid())).start().waitFor();
        h.onExit().get(30, TimeUnit.SECONDS);
        event("kill -9 " + service + " (pid " + h.pid() + ")");
    }

    private void cli(String... args) throws Exception {
        Process p = LocalCommand.spawn(dir, "cli-" + args[0] + "-" + args[1], args);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("strongroom " + String.join(" ", args) + " failed; see logs/cli-" + args[0] + "-" + args[1] + ".log");
        }
    }

    private void awaitProduced(List<CdcProducer.Produced> produced, int total, double fraction) throws InterruptedException {
        while (produced.size() < total * fraction) {
            Thread.sleep(200); // waiting for the producer to get that far
        }
    }

    /** Waits until ingest, encryptor and archiver have nothing left to do. */
    private void awaitDrained(StrongroomConfig c) throws Exception {
        Map<String, String> groups = new LinkedHashMap<>();
        groups.put("ingest", c.ingest().applicationId());
        groups.put("encryptor", c.encryptor().applicationId());
        groups.put("archiver", c.archiver().groupId());
        Instant deadline = Instant.now().plus(Duration.ofMinutes(15));
        try (Admin admin = Admin.create(c.kafka().clientProperties())) {
            int quiet = 0;
            while (quiet < 3) { // three checks in a row, 2 s apart: the last segments are sealed and archived
                long behind = 0;
                for (String group : groups.values()) {
                    behind += lag(admin, group);
                }
                quiet = behind == 0 ? quiet + 1 : 0;
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("still " + behind + " records behind after 15 minutes; see " + dir.resolve("logs"));
                }
                Thread.sleep(2000); // the encryptor seals open segments after segment-max-age (2 s)
            }
        }
    }

    private static long lag(Admin admin, String group) throws Exception {
        var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
        committed.keySet().forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
        long behind = committed.isEmpty() ? 1 : 0;
        for (var e : committed.entrySet()) {
            if (e.getValue() != null) {
                behind += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
            }
        }
        return behind;
    }

    /** Samples every service's heap use from its /metrics, keeping the peak. */
    private void sampleHeap() {
        while (sampling) {
            METRICS_PORTS.forEach((service, port) -> {
                try {
                    String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                    long heap = 0;
                    long kms = 0;
                    for (String line : body.split("\n")) {
                        double value = line.startsWith("#") || line.isBlank() ? 0
                                : Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                            heap += (long) value;
                        } else if (line.startsWith("strongroom_kms_calls_seconds_count{")) {
                            kms += (long) value;
                        } else if (line.startsWith("strongroom_encryptor_segments_open{") && service.equals("encryptor")) {
                            openSegments = Math.max(openSegments, (long) value);
                        }
                    }
                    peakHeap.merge(service, heap, Math::max);
                    kmsCalls.merge(service, kms, Math::max);
                } catch (IOException | InterruptedException | RuntimeException e) {
                    // the service is down (a fault) or starting
                }
            });
            try {
                Thread.sleep(1000); // one sample per second
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
