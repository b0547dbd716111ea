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
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The fault and load run: every service as its own process ({@code strongroom local up --services}), CDC events
 * produced at a steady pace across many tenants while faults are injected one after another — {@code kill -9} of
 * each service, a clean broker restart and a {@code kill -9} of the broker, an S3 outage, a KMS outage, a key
 * rotation and a rewrap — then everything is restored and compared with what the CDC topics hold (read back to
 * their end): events lost, duplicated and altered (all must be 0), the fault timeline, throughput and the peak heap
 * of each service.
 *
 * <p>Every wait has a deadline and names what it waited for; a producer thread that died, a service process that
 * exited on its own or a stage that stopped moving fails the run within minutes, naming it and its log.
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
     * The outcome. Ground truth is what the CDC topics hold at the end (read back {@code read_committed}), not what
     * the load generator's producers were told: an event whose transaction's outcome was unknown and that a replaced
     * producer sent again may sit there twice, at two source positions, and each must be restored once; the records
     * of aborted transactions sit there too, unread by {@code read_committed} readers, and none may be restored.
     *
     * @param generated events generated
     * @param inTopics records the CDC topics hold
     * @param resent events the load generator sent again (in a new transaction) after replacing a failed or stuck
     *     producer
     * @param unsure of those, the events whose first transaction was committing when its producer failed: the only
     *     ones that may sit twice in a CDC topic
     * @param producerReplacements producers the load generator replaced
     * @param neverInTopics generated events found nowhere in the CDC topics (the load generator lost them)
     * @param comparison the restore compared with the topics' contents, record by source position: lost = in a topic
     *     but not restored, duplicated = restored twice for one source position, altered = content differs
     * @param timeline faults, each with when it happened (seconds since the start)
     * @param seconds wall time from the first event to everything archived
     * @param peakHeapBytes the highest heap use each service reported on /metrics
     * @param peakOpenSegments the most segments the encryptor had open at once
     * @param kmsCalls KMS calls each service reported (since its last start)
     */
    public record Report(long generated, long inTopics, long resent, long unsure, int producerReplacements, long neverInTopics,
            RestoreComparison comparison, List<String> timeline, double seconds, Map<String, Long> peakHeapBytes,
            long peakOpenSegments, Map<String, Long> kmsCalls) {
        public long lost() {
            return comparison.missing();
        }

        public long duplicated() {
            return comparison.duplicates();
        }

        public long altered() {
            return comparison.mismatched();
        }

        /** Nothing lost, duplicated or altered, every event in a topic, and no copies but of re-sent events. */
        public boolean ok() {
            return neverInTopics == 0 && inTopics <= generated + unsure && comparison.matches();
        }
    }

    /** How long the load generator may acknowledge nothing, a stage not move, or a read stall, before the run fails. */
    static final Duration STALL = Duration.ofMinutes(3);
    private static final Map<String, Integer> METRICS_PORTS = Map.of("ingest", 9401, "encryptor", 9402, "archiver", 9403,
            "coordinator", 9404, "anomaly", 9405);
    private final Path dir;
    private final Options options;
    private final PrintStream log;
    private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Long> peakHeap = new ConcurrentHashMap<>();
    private final Map<String, Long> kmsCalls = new ConcurrentHashMap<>();
    private final ProcessWatchdog watchdog;
    private volatile long openSegments;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private long start;
    private volatile boolean sampling = true;
    private volatile LoadGenerator load;

    public Soak(Path dir, Options options, PrintStream log) {
        this.dir = dir.toAbsolutePath();
        this.options = options;
        this.log = log;
        this.watchdog = new ProcessWatchdog(this.dir);
    }

    private void event(String what) {
        String line = String.format("%7.1f s  %s", (System.nanoTime() - start) / 1e9, what);
        timeline.add(line);
        log.println(line);
    }

    /** The load generator once it runs, else null (tests stop it on purpose). */
    LoadGenerator loadGenerator() {
        return load;
    }

    /** Runs it all; leaves every process it started stopped, whatever happens. */
    public Report run() throws Exception {
        Exception failure = null;
        try {
            return runAll();
        } catch (Exception e) {
            failure = e;
            throw e;
        } finally {
            sampling = false;
            List<String> order = new ArrayList<>(LocalCommand.SERVICES);
            Collections.reverse(order);
            order.addAll(List.of("s3", "kafka"));
            List<Exception> problems = new ArrayList<>();
            LoadGenerator l = load;
            if (l != null) {
                try {
                    l.stop(); // before the broker goes: a daemon thread must not write into the next run's
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    problems.add(e);
                }
            }
            for (String name : order) {
                try {
                    LocalCommand.stop(dir, name, Duration.ofSeconds(name.equals("kafka") ? 60 : 30));
                } catch (RuntimeException e) {
                    problems.add(e);
                }
            }
            if (failure != null) {
                problems.forEach(failure::addSuppressed);
            } else if (!problems.isEmpty()) {
                throw new IllegalStateException("the run passed but could not stop everything: " + problems.get(0).getMessage(),
                        problems.get(0));
            }
        }
    }

    private Report runAll() throws Exception {
        Path config = LocalCommand.up(dir);
        watchdog.expect("kafka");
        watchdog.expect("s3");
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
            List<NewTopic> topics = generator.topics().stream()
                    .map(t -> new NewTopic(t, 1, (short) 1)).toList();
            for (int i = 0; i < topics.size(); i += 500) { // the broker refuses very large batches
                admin.createTopics(topics.subList(i, Math.min(topics.size(), i + 500))).all().get(5, TimeUnit.MINUTES);
            }
        }
        LocalCommand.startService(dir, "coordinator");
        watchdog.expect("coordinator");
        LocalCommand.awaitTopics(config, Duration.ofMinutes(3), watchdog);
        for (String s : List.of("ingest", "encryptor", "archiver", "anomaly")) {
            LocalCommand.startService(dir, s);
            watchdog.expect(s);
        }
        for (String s : List.of("ingest", "encryptor", "archiver", "anomaly")) {
            LocalCommand.awaitPort(METRICS_PORTS.get(s), Duration.ofSeconds(120), "the " + s + "'s /metrics",
                    dir.resolve("logs").resolve(s + ".log"), watchdog);
        }
        List<CdcRecord> records = generator.generate();
        long[] generatedPrints = records.stream().mapToLong(TopicContents::fingerprint).toArray();
        if (Arrays.stream(generatedPrints).distinct().count() != generatedPrints.length) {
            throw new IllegalStateException("the generator made two identical records: copies in the topics could not be told apart");
        }
        KafkaProducer<byte[], byte[]> first = new KafkaProducer<>(producerProperties(c), new ByteArraySerializer(),
                new ByteArraySerializer());
        long warm = System.nanoTime();
        knowTopics(first, generator.topics(), Duration.ofMinutes(10)); // before the clock starts: it is the load generator's cost, not the pipeline's
        log.printf("producer has the metadata of %,d topics (%.1f s)%n", generator.topics().size(), (System.nanoTime() - warm) / 1e9);
        start = System.nanoTime();
        event("services up; producing " + records.size() + " events for " + tenants.size() + " tenants");
        var warmFirst = new AtomicReference<>(first); // the first producer is the warmed one
        LoadGenerator generating = new LoadGenerator(() -> {
            KafkaProducer<byte[], byte[]> p = warmFirst.getAndSet(null);
            return p != null ? p : replacementProducer(c, generator.topics());
        }, records, Math.max(1000, records.size() / 240), Duration.ofMillis(options.faults() ? 500 : 0),
                Duration.ofSeconds(60), this::event);
        load = generating;
        generating.start();
        Thread sampler = new Thread(this::sampleHeap, "soak-heap");
        sampler.setDaemon(true);
        sampler.start();
        if (options.faults()) {
            new FaultTimeline(dir, options.outage(), STALL, watchdog, generating, this::event).run(config, tenants.get(0), records.size());
        }
        generating.awaitAcknowledged(records.size(), STALL, watchdog, dir.resolve("logs/kafka.log"));
        event("all " + records.size() + " events committed"
                + (generating.replacements() == 0 ? "" : " (" + generating.resent() + " re-sent by " + generating.replacements()
                        + " replacement producers)"));
        long resent = generating.resent();
        long unsure = generating.unsure();
        int replacements = generating.replacements();
        load = null;
        generating = null; // with the records it held: the topics are the ground truth from here on
        records = null;
        awaitDrained(c);
        double seconds = (System.nanoTime() - start) / 1e9;
        event("everything archived (lag 0, segments sealed and committed)");
        Path out = restoreEveryTenant(c, tenants);
        sampling = false;
        List<CdcProducer.Produced> held = TopicContents.read(c.kafka().clientProperties(), generator.topics(), STALL);
        long[] heldPrints = held.stream().mapToLong(p -> TopicContents.fingerprint(p.record())).sorted().toArray();
        long neverInTopics = TopicContents.missing(generatedPrints, heldPrints);
        event("the CDC topics hold " + held.size() + " committed records (" + (held.size() - generatedPrints.length + neverInTopics)
                + " of them second copies, of " + unsure + " events whose commit was unsure" + (neverInTopics == 0 ? ""
                        : "; " + neverInTopics + " GENERATED EVENTS ARE IN NO TOPIC") + ")");
        RestoreComparison comparison = RestoreComparison.compare(held, out);
        return new Report(generatedPrints.length, held.size(), resent, unsure, replacements, neverInTopics, comparison,
                List.copyOf(timeline), seconds, new TreeMap<>(peakHeap), openSegments, new TreeMap<>(kmsCalls));
    }

    /**
     * Restores each tenant on its own, several at once, into one JSONL file. One listing of the whole environment
     * pages through every object in order; S3Proxy's filesystem store walks its whole tree for every page of it
     * (about 6 s a page at 140,000 objects), where a tenant's prefix takes milliseconds.
     */
    private Path restoreEveryTenant(StrongroomConfig c, List<String> tenants) throws Exception {
        Path parts = Files.createDirectories(dir.resolve("restored"));
        Path out = dir.resolve("restored.jsonl");
        ExecutorService pool = Executors.newFixedThreadPool(c.restore().parallelism());
        try (Kms kms = KmsFactory.create(c, "restore"); S3Client s3 = c.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout(), c.trust());
            List<Future<RestoreJob.Result>> results = new ArrayList<>();
            for (String tenant : tenants) {
                results.add(pool.submit(() -> RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, null,
                        parts.resolve(tenant + ".jsonl"), 1), (d, t, e) -> { })));
            }
            long events = 0;
            int segments = 0;
            List<String> problems = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            for (int i = 0; i < results.size(); i++) {
                RestoreJob.Result r;
                try {
                    r = results.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    throw new IllegalStateException("the restore of tenant " + tenants.get(i) + " (and " + (results.size() - i - 1)
                            + " after it) did not finish within 30 min of the restore's start", e);
                }
                events += r.events();
                segments += r.segments();
                problems.addAll(r.problems());
            }
            event("restored " + events + " events from " + segments + " segments of " + tenants.size() + " tenants"
                    + (problems.isEmpty() ? "" : ", problems: " + problems));
        } finally {
            pool.shutdownNow();
        }
        try (OutputStream o = Files.newOutputStream(out)) {
            for (String tenant : tenants) {
                Path part = parts.resolve(tenant + ".jsonl");
                if (Files.exists(part)) {
                    Files.copy(part, o);
                }
            }
        }
        return out;
    }

    /**
     * The load generator's producer: transactional (one {@code transactional.id} for the run, so that each replacement
     * fences its predecessor and aborts what that did not commit), acks=all, giving up on a record after 2 minutes
     * (then its slice is re-sent).
     */
    private static Map<String, Object> producerProperties(StrongroomConfig c) {
        Map<String, Object> props = new HashMap<>(c.kafka().clientProperties());
        props.put("acks", "all");
        props.put("enable.idempotence", true);
        props.put("transactional.id", "strongroom-soak-load-generator");
        props.put("transaction.timeout.ms", 180_000); // a slice's transaction outlives a broker restart
        props.put("linger.ms", 20);
        props.put("compression.type", "lz4");
        // long enough to ride out a broker restart; a producer that loops or is stuck past it is replaced
        props.put("delivery.timeout.ms", 120_000);
        props.put("max.block.ms", 60_000);
        // with thousands of tenants' topics, each is written to rarely: keep their metadata instead of forgetting it
        // after 5 idle minutes and blocking the next send to fetch it again
        props.put("metadata.max.idle.ms", 3_600_000);
        return props;
    }

    private static KafkaProducer<byte[], byte[]> replacementProducer(StrongroomConfig c, List<String> topics) {
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerProperties(c), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            knowTopics(p, topics, Duration.ofMinutes(1)); // less than STALL: a stuck fetch is a failed replacement
            return p;
        } catch (Exception e) {
            p.close(Duration.ZERO);
            throw new IllegalStateException("a replacement producer could not fetch the topics' metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Fetches the metadata of every topic: a producer's first send to a topic waits for it, one topic at a time, which
     * with 10,000 tenants' topics took minutes. Many threads asking at once share each metadata request.
     */
    private static void knowTopics(KafkaProducer<byte[], byte[]> p, List<String> topics, Duration budget) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try {
            List<Future<?>> asked = new ArrayList<>();
            for (String topic : topics) {
                asked.add(pool.submit(() -> p.partitionsFor(topic)));
            }
            long deadline = System.nanoTime() + budget.toNanos();
            for (Future<?> f : asked) {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until ingest, encryptor and archiver have nothing left to do: three checks in a row, 2 s apart, with no
     * lag. Fails naming the stage whose lag has not gone down for {@link #STALL}, and after 30 minutes in all.
     */
    private void awaitDrained(StrongroomConfig c) throws Exception {
        Map<String, String> groups = new LinkedHashMap<>();
        groups.put("ingest", c.ingest().applicationId());
        groups.put("encryptor", c.encryptor().applicationId());
        groups.put("archiver", c.archiver().groupId());
        Map<String, Long> committedBefore = new HashMap<>();
        Map<String, Long> since = new HashMap<>();
        int[] quiet = {0};
        try (Admin admin = Admin.create(c.kafka().clientProperties())) {
            Waits.until("ingest, encryptor and archiver to have no lag", Duration.ofMinutes(30), Duration.ofSeconds(2), () -> {
                long behind = 0;
                for (Map.Entry<String, String> g : groups.entrySet()) {
                    long[] lagAndCommitted = lag(admin, g.getValue());
                    behind += lagAndCommitted[0];
                    // progress is committing, not a falling lag: a stage's lag rises while the one before it catches up
                    Long before = committedBefore.put(g.getKey(), lagAndCommitted[1]);
                    if (before == null || lagAndCommitted[1] > before || lagAndCommitted[0] == 0) {
                        since.put(g.getKey(), System.nanoTime());
                    } else if (System.nanoTime() - since.get(g.getKey()) > STALL.toNanos()) {
                        throw new IllegalStateException("the " + g.getKey() + " (group " + g.getValue() + ") is stuck "
                                + lagAndCommitted[0] + " records behind: it committed nothing for " + Waits.describe(STALL) + "; see "
                                + dir.resolve("logs").resolve(g.getKey() + ".log")
                                + ProcessWatchdog.lastErrors(dir.resolve("logs").resolve(g.getKey() + ".log"), 5)
                                + "\n  the run so far:\n    " + String.join("\n    ", timeline));
                    }
                }
                quiet[0] = behind == 0 ? quiet[0] + 1 : 0;
                return quiet[0] >= 3; // the encryptor seals open segments after segment-max-age (2 s)
            }, watchdog, dir.resolve("logs").toString());
        }
    }

    /** The group's lag (records behind the end of what it reads) and the sum of its committed offsets. */
    private static long[] lag(Admin admin, String group) throws Exception {
        var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
        long behind = committed.isEmpty() ? 1 : 0;
        long sum = 0;
        for (var e : committed.entrySet()) {
            if (e.getValue() != null) {
                behind += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                sum += e.getValue().offset();
            }
        }
        return new long[] {behind, sum};
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
