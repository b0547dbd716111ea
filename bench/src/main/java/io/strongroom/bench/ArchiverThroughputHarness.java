package io.strongroom.bench;

import io.strongroom.archiver.ArchiverConfig;
import io.strongroom.archiver.ArchiverService;
import io.strongroom.archiver.S3Settings;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.avro.Compression;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Archive throughput into S3Proxy against raw {@code PutObject} of the same objects, in one run:
 * the same N segments (incompressible ciphertext, {@code size} bytes each) are (A) archived by the
 * archiver from {@code strongroom.segments} — read, parsed, conditional PUT with metadata, manifest,
 * index entry, offset commit — and (B) written by plain {@code PutObject} calls from one client, with
 * as many in flight as the archiver's default {@code put-concurrency}. Runs alternate, each into a fresh bucket; the result is the median of the
 * per-round ratios A/B in MB/s.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.ArchiverThroughputHarness [segments] [bytes] [rounds]</pre>
 */
public final class ArchiverThroughputHarness {
    /** Requests in flight on both sides: {@code -Dbench.put-concurrency}, default the archiver's default. */
    private static final int CONCURRENCY = Integer.getInteger("bench.put-concurrency", ArchiverConfig.defaults().putConcurrency());

    private static Map<String, Long> cpuAtEnd;

    private ArchiverThroughputHarness() {}

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256 * 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("strongroom-archiver-bench-");
        Kms kms = TestKms.local(dir.resolve("kms"), true);
        List<byte[]> segments = new ArrayList<>(count);
        Random random = new Random(7);
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[size - 600];
            random.nextBytes(payload);
            String id = UUID.randomUUID().toString();
            DataKey dek = Kmses.await(kms.generateDek("local://bench", new DekContext("bench", "bench", id)), Duration.ofSeconds(5));
            SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(Segment.FORMAT_VERSION)
                    .setEnvironment("bench").setTenant("bench").setStream("strongroom.changes").setSourceTopic("strongroom.changes")
                    .setSourcePartition(i % 3).setFirstOffset(100L * i).setLastOffset(100L * i + 99).setRecordCount(1)
                    .setMinEventTimeMs(1).setMaxEventTimeMs(2).setSealedAtMs(1_767_225_600_000L)
                    .setKeyId(dek.wrapped().keyId()).setKeyVersion(dek.wrapped().keyVersion())
                    .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes())).setDekAlgorithm(dek.wrapped().algorithm());
            segments.add(SegmentCrypto.seal(h, List.of(payload), dek.aead(), Compression.NONE).toBytes());
        }
        long bytes = segments.stream().mapToLong(s -> s.length).sum();
        double mb = bytes / 1e6;
        System.out.printf("%,d segments of %,d bytes (%.1f MB)%n", count, segments.get(0).length, mb);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), true,
                Map.of("message.max.bytes", String.valueOf(2 * size)));
                EmbeddedS3 s3 = EmbeddedS3.start(s3Directory(dir), true)) {
            kafka.createTopics(3, Topics.SEGMENTS.name(), Topics.ARCHIVE_INDEX.name());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "max.request.size", 2 * size, "linger.ms", 10), Topics.SEGMENTS.keySerde().serializer(),
                    Topics.SEGMENTS.valueSerde().serializer())) {
                for (int i = 0; i < count; i++) { // with the digest header, as the encryptor writes them
                    ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.SEGMENTS.name(), i % 3, "bench/" + (i % 3), segments.get(i));
                    record.headers().add(Topics.SEGMENT_SHA256_HEADER, Segment.sha256(segments.get(i)));
                    producer.send(record);
                }
            }
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) { // round 0 warms up both and is not counted
                Map<String, Long> cpu0 = cpuByThreadGroup();
                double a = archiver(kafka, s3, "archive-" + r, count, mb);
                Map<String, Long> cpu1 = cpuAtEnd;
                deleteTree(s3.directory().resolve("archive-" + r));
                Map<String, Long> cpu2 = cpuByThreadGroup();
                double b = rawPut(s3, "raw-" + r, segments, mb);
                deleteTree(s3.directory().resolve("raw-" + r));
                if (Boolean.getBoolean("bench.cpu")) { // where the CPU went, by thread
                    System.out.println("  CPU ms, archiver: " + delta(cpu0, cpu1));
                    System.out.println("  CPU ms, raw:      " + delta(cpu2, cpuAtEnd));
                }
                if (r > 0) {
                    System.out.printf("round %d: archiver %.1f MB/s, raw PutObject %.1f MB/s, ratio %.2f%n", r, a, b, a / b);
                    ratios.add(a / b);
                }
            }
            Collections.sort(ratios);
            System.out.printf("median ratio archiver/raw PutObject over %d rounds: %.2f%n", ratios.size(), ratios.get(ratios.size() / 2));
        }
    }

    private static double archiver(EmbeddedKafka kafka, EmbeddedS3 s3, String name, int count, double mb) throws Exception {
        s3.createBucket(name);
        S3Settings settings = new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, name, EmbeddedS3.ACCESS_KEY,
                EmbeddedS3.SECRET_KEY, null, null, null, System.getProperty("bench.request-checksums")); // default: the archiver's
        long start = System.nanoTime();
        try (ArchiverService archiver = ArchiverService.start(
                new ArchiverConfig(name, null, null, null, CONCURRENCY, null, null), settings,
                "bench", kafkaConfig(kafka))) {
            // segmentsArchived counts segments whose offsets are committed (manifests written, index acknowledged);
            // reading it asks the broker nothing, so the wait does not take CPU from what is measured
            while (archiver.segmentsArchived() < count) {
                if (!archiver.isRunning()) {
                    throw new IllegalStateException("the archiver stopped");
                }
                Thread.sleep(5);
            }
            cpuAtEnd = cpuByThreadGroup();
            return mb / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Where S3Proxy keeps the objects: {@code -Dbench.s3-dir}, else in memory ({@code /dev/shm}) where there is one,
     * so that the page cache writing one phase's objects back to disk does not land in the next phase's time (both
     * sides write the same bytes; only the overhead of archiving is compared). Each phase's bucket is deleted after it.
     */
    private static Path s3Directory(Path dir) throws java.io.IOException {
        String configured = System.getProperty("bench.s3-dir");
        if (configured != null) {
            return Files.createTempDirectory(Files.createDirectories(Path.of(configured)), "strongroom-archiver-bench-s3-");
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "strongroom-archiver-bench-s3-")
                : dir.resolve("s3");
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (Files.exists(root)) {
            try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The archiver's Kafka client settings: the broker, plus any {@code -Dbench.kafka.<setting>=<value>}. */
    private static Map<String, Object> kafkaConfig(EmbeddedKafka kafka) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("bench.kafka."))
                .forEach(n -> config.put(n.substring("bench.kafka.".length()), System.getProperty(n)));
        return config;
    }

    /** CPU time (ns) of live threads, summed by name with digits removed. */
    private static Map<String, Long> cpuByThreadGroup() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                cpu.merge(t.getThreadName().replaceAll("[0-9]+", "N") + "#" + t.getThreadId(), Math.max(0, mx.getThreadCpuTime(t.getThreadId())), Long::sum);
            }
        }
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            cpu.put("GC pauses (wall)#" + gc.getName(), gc.getCollectionTime() * 1_000_000);
        }
        return cpu;
    }

    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((k, v) -> {
            long ms = (v - before.getOrDefault(k, 0L)) / 1_000_000;
            d.merge(k.substring(0, k.indexOf('#')), ms, Long::sum);
        });
        d.values().removeIf(v -> v < 20);
        return d;
    }

    /** The reference: the same objects PUT by one client with as many requests in flight as the archiver allows. */
    private static double rawPut(EmbeddedS3 s3, String bucket, List<byte[]> segments, double mb) throws Exception {
        s3.createBucket(bucket);
        int concurrency = CONCURRENCY;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency);
        try (S3Client client = s3.client()) {
            long start = System.nanoTime();
            List<java.util.concurrent.Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                String key = "raw/" + i;
                byte[] bytes = segments.get(i);
                puts.add(pool.submit(() -> client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes))));
            }
            for (java.util.concurrent.Future<?> f : puts) {
                f.get();
            }
            cpuAtEnd = cpuByThreadGroup();
            return mb / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }
}
