package io.strongroom.bench;

import com.sun.management.OperatingSystemMXBean;
import io.strongroom.archiver.ArchiverConfig;
import io.strongroom.archiver.ArchiverService;
import io.strongroom.archive.S3Settings;
import io.strongroom.avro.Compression;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Archive throughput into S3Proxy against raw {@code PutObject} of the same objects, in one run:
 * the same N segments (incompressible ciphertext, {@code size} bytes each) are (A) archived by the
 * archiver from {@code strongroom.segments} — read, parsed, conditional PUT with metadata, manifest,
 * index entry, offset commit — and (B) written by plain {@code PutObject} calls from one client configured as the
 * archiver's, with as many in flight as the archiver's default {@code put-concurrency}.
 *
 * <p>The broker and S3Proxy run in this JVM; each side runs in a JVM of its own, as the archiver does in production,
 * started once and kept for the whole run, so that each side's JIT settles on its own work (in one JVM the two kept
 * the compiler busy for about a second of CPU per phase, recompiling the SDK for one side, then the other). Each phase
 * writes into a fresh bucket; after {@code -Dbench.warmup-rounds} unmeasured rounds, A runs first in odd rounds and B
 * in even ones (ABBA), and the result is the median of the per-round ratios A/B in MB/s.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.ArchiverThroughputHarness [segments] [bytes] [rounds]</pre>
 */
public final class ArchiverThroughputHarness {
    /** Whether the archiver signs its manifest parts, as with {@code identity.directory}: {@code -Dbench.sign}. */
    private static final boolean SIGN = Boolean.getBoolean("bench.sign");
    private static final SigningIdentity IDENTITY = SIGN
            ? SigningIdentity.generate(Role.ARCHIVER, "bench") : null;

    /** Requests in flight on both sides: {@code -Dbench.put-concurrency}, default the archiver's default. */
    private static final int CONCURRENCY = Integer.getInteger("bench.put-concurrency", ArchiverConfig.defaults().putConcurrency());

    /**
     * Unmeasured rounds first, at least this many and then until the JIT has settled in both workers: a long-running
     * archiver is measured in its steady state. {@code -Dbench.warmup-rounds}.
     */
    private static final int WARMUP_ROUNDS = Integer.getInteger("bench.warmup-rounds", 3);
    /** ... but at most this many. */
    private static final int MAX_WARMUP_ROUNDS = Integer.getInteger("bench.max-warmup-rounds", 20);
    /** The JIT has settled in a worker when compiling took less than this share of a phase's CPU. */
    private static final double JIT_SETTLED = 0.05;
    private static final String JIT = "JIT compiling";

    /** How a worker's answer starts, among whatever else it prints. */
    private static final String RESULT = "@@result ";

    private ArchiverThroughputHarness() {}

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256 * 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("strongroom-archiver-bench-");
        try {
            run(dir, count, size, rounds);
        } finally { // the segments file, the broker's log
            Dirs.deleteRecursively(dir);
        }
    }

    private static void run(Path dir, int count, int size, int rounds) throws Exception {
        List<byte[]> segments = segments(dir, count, size);
        long bytes = segments.stream().mapToLong(s -> s.length).sum();
        System.out.printf("%,d segments of %,d bytes (%.1f MB)%n", count, segments.get(0).length, bytes / 1e6);
        Path file = dir.resolve("segments.bin"); // what the raw side PUTs
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            for (byte[] s : segments) {
                out.writeInt(s.length);
                out.write(s);
            }
        }
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
            segments = null; // the raw worker reads them from the file
            List<Double> ratios = new ArrayList<>();
            try (Worker archiver = Worker.start("archiver", dir, kafka.bootstrapServers(), s3, count, file);
                    Worker raw = Worker.start("raw", dir, kafka.bootstrapServers(), s3, count, file)) {
                int warmups = 0;
                for (int round = 1; ratios.size() < rounds; round++) {
                    // ABBA: the machine keeps getting faster for a while, which favours whichever side runs second;
                    // alternating which side runs first cancels that drift out of the median
                    boolean archiverFirst = (round & 1) == 1;
                    Phase a = null;
                    Phase b = null;
                    for (int side = 0; side < 2; side++) {
                        if ((side == 0) == archiverFirst) {
                            a = phase(s3, archiver, "archive-" + round);
                        } else {
                            b = phase(s3, raw, "raw-" + round);
                        }
                    }
                    if (Boolean.getBoolean("bench.cpu")) { // where the CPU went, by process and thread
                        System.out.println("  CPU ms, archiver: " + a.cpu());
                        System.out.println("  CPU ms, raw:      " + b.cpu());
                    }
                    // warm up until both sides' JIT has settled (a long-running archiver is measured in its steady
                    // state), at least WARMUP_ROUNDS and at most MAX_WARMUP_ROUNDS rounds
                    boolean warm = warmups >= WARMUP_ROUNDS && a.side().settled() && b.side().settled();
                    boolean measured = !ratios.isEmpty() || warm || warmups >= MAX_WARMUP_ROUNDS;
                    System.out.printf("%s (%s first): archiver %.1f MB/s, raw PutObject %.1f MB/s, ratio %.2f%s%n",
                            measured ? "round " + (ratios.size() + 1) : "warm-up " + (warmups + 1), archiverFirst ? "archiver" : "raw",
                            a.mbPerSecond(), b.mbPerSecond(), a.mbPerSecond() / b.mbPerSecond(),
                            measured ? "" : "; JIT compiling: archiver " + a.side().jitMs() + " ms, raw " + b.side().jitMs() + " ms");
                    if (measured) {
                        ratios.add(a.mbPerSecond() / b.mbPerSecond());
                    } else {
                        warmups++;
                    }
                }
            }
            Collections.sort(ratios);
            System.out.printf("median ratio archiver/raw PutObject over %d rounds: %.3f%n", ratios.size(), ratios.get(ratios.size() / 2));
        }
    }

    /** {@code count} sealed segments of {@code size} bytes of incompressible ciphertext, each under its own data key. */
    private static List<byte[]> segments(Path dir, int count, int size) throws Exception {
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
        return segments;
    }

    /** One side's phase: its rate, and the CPU it took there and in the servers (broker, S3Proxy). */
    private record Phase(double mbPerSecond, Cpu side, Cpu servers) {
        String cpu() {
            return "side " + side.processMs() + " + servers " + servers.processMs() + " = " + (side.processMs() + servers.processMs())
                    + "; side's threads " + side.threads() + "; servers' threads " + servers.threads();
        }
    }

    /** CPU of a process during a phase: all of it, and its busier threads by name. */
    private record Cpu(long processMs, Map<String, Long> threads) {
        /** CPU of the JIT's compiler threads. */
        long jitMs() {
            return threads.getOrDefault(JIT, 0L);
        }

        boolean settled() {
            return jitMs() < JIT_SETTLED * processMs;
        }

        static Cpu between(long processBefore, Map<String, Long> before, long processAfter, Map<String, Long> after) {
            return new Cpu((processAfter - processBefore) / 1_000_000, delta(before, after));
        }
    }

    /** Has {@code worker} write into {@code bucket}, then deletes the bucket's objects (not timed). */
    private static Phase phase(EmbeddedS3 s3, Worker worker, String bucket) throws Exception {
        s3.createBucket(bucket);
        long process = processCpuNanos();
        Map<String, Long> threads = cpuByThreadGroup();
        String[] result = worker.run(bucket);
        Cpu servers = Cpu.between(process, threads, processCpuNanos(), cpuByThreadGroup());
        Dirs.deleteRecursively(s3.directory().resolve(bucket));
        return new Phase(Double.parseDouble(result[0]), new Cpu(Long.parseLong(result[1]), parse(result[2])), servers);
    }

    /**
     * A JVM that runs one side: started once, it warms up over the rounds like a long-running service. It reads
     * {@code run <bucket>} lines and answers each with {@link #RESULT}, the rate, its CPU ms and its threads' CPU ms.
     */
    static final class Worker implements AutoCloseable {
        private final String side;
        private final Process process;
        private final PrintWriter commands;
        private final BlockingQueue<String> results = new LinkedBlockingQueue<>();
        private final Path log;

        private Worker(String side, Process process, Path log) {
            this.side = side;
            this.process = process;
            this.log = log;
            this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> { // keeps the pipe drained: results to the queue, the rest to the log
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                        PrintWriter logged = new PrintWriter(Files.newBufferedWriter(log), true)) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.contains(RESULT)) { // JVM diagnostics (-XX:+PrintCompilation) may share the line
                            results.add(line.substring(line.indexOf(RESULT) + RESULT.length()));
                        } else {
                            logged.println(line);
                        }
                    }
                } catch (IOException e) {
                    // the worker ended
                }
                results.add("ended");
            }, "bench-worker-" + side);
            reader.setDaemon(true);
            reader.start();
        }

        static Worker start(String side, Path dir, String bootstrap, EmbeddedS3 s3, int count, Path segments) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(List.of(System.getProperty("bench.worker-jvm-args", "-Xmx2g").split(" ")));
            System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("bench."))
                    .forEach(n -> command.add("-D" + n + "=" + System.getProperty(n)));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Worker.class.getName(), side, bootstrap,
                    s3.endpoint().toString(), String.valueOf(count), segments.toString()));
            Path log = dir.resolve("worker-" + side + ".log");
            return new Worker(side, new ProcessBuilder(command).redirectErrorStream(true).start(), log);
        }

        /** Runs a phase into {@code bucket}: the rate (MB/s), the worker's CPU (ms) and its threads'. */
        String[] run(String bucket) throws InterruptedException {
            commands.println("run " + bucket);
            String result = results.poll(10, TimeUnit.MINUTES);
            if (result == null || result.equals("ended") || result.startsWith("failed")) {
                throw new IllegalStateException("the " + side + " worker " + (result == null ? "timed out" : result)
                        + "; its output is in " + log);
            }
            return result.split(" ", 3);
        }

        @Override
        public void close() throws InterruptedException {
            commands.println("exit");
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        }

        /** The worker: {@code side bootstrap s3-endpoint count segments-file}. */
        public static void main(String[] args) throws Exception {
            String side = args[0];
            String bootstrap = args[1];
            String endpoint = args[2];
            int count = Integer.parseInt(args[3]);
            List<byte[]> segments = side.equals("raw") ? read(Path.of(args[4]), count) : List.of();
            double mb = (Files.size(Path.of(args[4])) - 4L * count) / 1e6; // the file holds each length, then its bytes
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && line.startsWith("run "); ) {
                String bucket = line.substring(4);
                try {
                    long process = processCpuNanos();
                    Map<String, Long> threads = cpuByThreadGroup();
                    Timed timed = side.equals("raw") ? rawPut(endpoint, bucket, segments, mb)
                            : archiver(bootstrap, endpoint, bucket, count, mb);
                    Cpu cpu = Cpu.between(process, threads, timed.processCpuAtEnd(), timed.threadsAtEnd());
                    System.out.println(RESULT + timed.mbPerSecond() + " " + cpu.processMs() + " " + cpu.threads());
                } catch (Exception | Error e) {
                    e.printStackTrace(System.out);
                    System.out.println(RESULT + "failed: " + e);
                }
            }
        }

        private static List<byte[]> read(Path file, int count) throws IOException {
            List<byte[]> segments = new ArrayList<>(count);
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
                for (int i = 0; i < count; i++) {
                    byte[] s = new byte[in.readInt()];
                    in.readFully(s);
                    segments.add(s);
                }
            }
            return segments;
        }
    }

    /** A side's run: its rate, and the CPU used when it ended (read before anything is closed). */
    private record Timed(double mbPerSecond, long processCpuAtEnd, Map<String, Long> threadsAtEnd) {
        static Timed of(double mb, long startNanos) {
            double rate = mb / ((System.nanoTime() - startNanos) / 1e9);
            return new Timed(rate, processCpuNanos(), cpuByThreadGroup());
        }
    }

    private static Timed archiver(String bootstrap, String endpoint, String bucket, int count, double mb) throws Exception {
        S3Settings settings = settings(endpoint, bucket);
        long start = System.nanoTime();
        try (ArchiverService archiver = ArchiverService.start(
                new ArchiverConfig(bucket, null, null, null, CONCURRENCY, null, null), settings,
                "bench", kafkaConfig(bootstrap), SIGN ? IDENTITY : null)) {
            // segmentsArchived counts segments whose offsets are committed (manifests written, index acknowledged);
            // reading it asks the broker nothing, so the wait does not take CPU from what is measured
            while (archiver.segmentsArchived() < count) {
                if (!archiver.isRunning()) {
                    throw new IllegalStateException("the archiver stopped");
                }
                Thread.sleep(5);
            }
            return Timed.of(mb, start);
        }
    }

    /**
     * The reference: the same objects PUT by one client, configured as the archiver's, with as many requests in flight
     * as the archiver allows.
     */
    private static Timed rawPut(String endpoint, String bucket, List<byte[]> segments, double mb) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        try (S3Client client = settings(endpoint, bucket).client()) {
            long start = System.nanoTime();
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                String key = "raw/" + i;
                byte[] bytes = segments.get(i);
                puts.add(pool.submit(() -> client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes))));
            }
            for (Future<?> f : puts) {
                f.get();
            }
            return Timed.of(mb, start);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The archiver's S3 settings, which the reference's client is built from too: the same HTTP client and request
     * checksums on both sides (the archiver's default, or {@code -Dbench.request-checksums}), so that only what the
     * archiver does differs.
     */
    private static S3Settings settings(String endpoint, String bucket) {
        return new S3Settings(endpoint, EmbeddedS3.REGION, bucket, EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY,
                null, null, null, System.getProperty("bench.request-checksums"));
    }

    /** The archiver's Kafka client settings: the broker, plus any {@code -Dbench.kafka.<setting>=<value>}. */
    private static Map<String, Object> kafkaConfig(String bootstrap) {
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", bootstrap));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("bench.kafka."))
                .forEach(n -> config.put(n.substring("bench.kafka.".length()), System.getProperty(n)));
        return config;
    }

    /**
     * Where S3Proxy keeps the objects: {@code -Dbench.s3-dir}, else in memory ({@code /dev/shm}) where there is one,
     * so that the page cache writing one phase's objects back to disk does not land in the next phase's time (both
     * sides write the same bytes; only the overhead of archiving is compared). Each phase's bucket is deleted after it.
     */
    private static Path s3Directory(Path dir) throws IOException {
        String configured = System.getProperty("bench.s3-dir");
        if (configured != null) {
            return Files.createTempDirectory(Files.createDirectories(Path.of(configured)), "strongroom-archiver-bench-s3-");
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "strongroom-archiver-bench-s3-")
                : dir.resolve("s3");
    }

    private static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU time (ns) of live threads, summed by name with digits removed. */
    private static Map<String, Long> cpuByThreadGroup() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new TreeMap<>();
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                cpu.merge(t.getThreadName().replaceAll("[0-9]+", "N") + "#" + t.getThreadId(), Math.max(0, mx.getThreadCpuTime(t.getThreadId())), Long::sum);
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            cpu.put("GC pauses (wall)#" + gc.getName(), gc.getCollectionTime() * 1_000_000);
        }
        jvmThreads(cpu);
        return cpu;
    }

    /** The JVM's own threads (GC, JIT), which Java does not list: from {@code /proc} where there is one (10 ms ticks). */
    private static void jvmThreads(Map<String, Long> cpu) {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (Stream<Path> all = Files.list(tasks)) {
            for (Path task : all.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    if (!name.matches("(GC Thread|G1 |C[12] Compiler|VM Thread|VM Periodic).*")) {
                        continue;
                    }
                    if (name.matches("C[12] Compiler.*")) {
                        name = JIT;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // fields from the 3rd on
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
                    cpu.merge((name.equals(JIT) ? JIT : "jvm " + name.replaceAll("[0-9]+", "N")) + "#" + task.getFileName(), ticks * 10_000_000, Long::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            // no /proc after all
        }
    }

    /** CPU ms per thread name between two readings; threads under 20 ms left out. */
    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) -> {
            long ms = (v - before.getOrDefault(k, 0L)) / 1_000_000;
            d.merge(k.substring(0, k.indexOf('#')), ms, Long::sum);
        });
        d.values().removeIf(v -> v < 20);
        return d;
    }

    /** A thread map as {@link Map#toString} printed it. */
    private static Map<String, Long> parse(String printed) {
        Map<String, Long> threads = new TreeMap<>();
        String inner = printed.substring(1, printed.length() - 1);
        if (!inner.isEmpty()) {
            for (String entry : inner.split(", (?=[^=]*=)")) {
                threads.put(entry.substring(0, entry.lastIndexOf('=')), Long.parseLong(entry.substring(entry.lastIndexOf('=') + 1)));
            }
        }
        return threads;
    }
}
