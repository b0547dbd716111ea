package io.strongroom.bench;

import com.google.crypto.tink.Aead;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.ForwardingKms;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.encryptor.EncryptorConfig;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.encryptor.internal.EncryptorTopology;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.TestKms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The encryptor against an identical topology whose cipher is the identity, in one run:
 *
 * <ol>
 *   <li><b>Throughput</b> on one embedded broker: the same topic of ~1 KiB ChangeEvents is read by
 *       (A) the encryptor and (B) the same encryptor whose data keys encrypt as the identity (the
 *       KMS still generates and wraps each one, the segments are still built, compressed, framed and
 *       written exactly once). Each is timed from start until its committed input offsets reach the
 *       end. Rounds alternate A/B; the result is the median ratio A/B.
 *   <li><b>Latency added per event</b>: the same two topologies in a {@code TopologyTestDriver}
 *       (no broker), each event's processing time measured; p50/p99/p99.9 of both, and the p99
 *       difference.
 * </ol>
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.EncryptorThroughputHarness [events] [rounds]</pre>
 */
public final class EncryptorThroughputHarness {
    private static final int PARTITIONS = 3;

    private EncryptorThroughputHarness() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("strongroom-encryptor-bench-");
        ManagedKms real = TestKms.local(dir.resolve("kms"), true);
        Kms identity = new IdentityCipherKms(real);
        EncryptorConfig config = new EncryptorConfig(null, null, null, Duration.ofSeconds(30), null);

        List<ChangeEvent> input = new ArrayList<>(events);
        for (int i = 0; i < events; i++) {
            input.add(event(i));
        }
        latency(config, real, identity, input.subList(0, Math.min(events, 100_000)), dir);

        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), true, Map.of())) {
            kafka.createTopics(PARTITIONS, Topics.CHANGES.name(), Topics.SEGMENTS.name());
            kafka.createTopics(1, Topics.KEYS.name());
            long bytes = produce(kafka.bootstrapServers(), input);
            System.out.printf("throughput input: %,d events, %,d bytes (%.0f bytes/event)%n", events, bytes, (double) bytes / events);
            List<Double> ratios = new ArrayList<>();
            double bestA = 0;
            double bestB = 0;
            timed(kafka, "warmup-aes", events, config, real, dir); // JIT warm-up, not counted
            timed(kafka, "warmup-identity", events, config, identity, dir);
            for (int r = 1; r <= rounds; r++) {
                double a = timed(kafka, "enc-aes-" + r, events, config, real, dir);
                double b = timed(kafka, "enc-identity-" + r, events, config, identity, dir);
                System.out.printf("round %d: encrypting %,.0f events/s, identity cipher %,.0f events/s, ratio %.2f%n", r, a, b, a / b);
                ratios.add(a / b);
                bestA = Math.max(bestA, a);
                bestB = Math.max(bestB, b);
            }
            Collections.sort(ratios);
            double mb = bytes / (double) events / 1e6;
            System.out.printf("best: encrypting %,.0f events/s (%.1f MB/s), identity %,.0f events/s (%.1f MB/s)%n",
                    bestA, bestA * mb, bestB, bestB * mb);
            System.out.printf("median throughput ratio encrypting/identity over %d rounds: %.2f%n", ratios.size(),
                    ratios.get(ratios.size() / 2));
        }
    }

    static ChangeEvent event(int i) {
        return ChangeEvent.newBuilder().setEventId("cdc.bench/0/" + i).setTenant("tenant" + (i % 10)).setTable("public.orders")
                .setOp(Op.CREATE).setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + i + "}")
                .setAfter("{\"id\":" + i + ",\"customer_id\":" + (i % 997) + ",\"total\":\"" + (i % 10000)
                        + ".50\",\"currency\":\"EUR\",\"status\":\"NEW\",\"notes\":\"" + Long.toHexString(i * 0x9E3779B97F4A7C15L)
                        + "x".repeat(640) + "\"}")
                .setSourceInfo("{\"connector\":\"postgresql\",\"db\":\"bench\",\"lsn\":" + (1000L * i) + "}")
                .setEventTimeMs(1_767_225_600_000L + i).setSource(new SourcePosition("cdc.bench.public.orders", 0, (long) i, 1L))
                .build();
    }

    private static long produce(String bootstrap, List<ChangeEvent> events) throws Exception {
        long bytes = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "linger.ms", 20, "batch.size", 262144, "compression.type", "lz4"), new StringSerializer(),
                new ByteArraySerializer())) {
            for (ChangeEvent e : events) {
                byte[] value = Topics.CHANGES.valueSerde().serializer().serialize(Topics.CHANGES.name(), e);
                bytes += value.length;
                producer.send(new ProducerRecord<>(Topics.CHANGES.name(), e.getTenant() + "/" + e.getKey(), value));
            }
            producer.flush();
        }
        return bytes;
    }

    /** Events per second from start until {@code appId} has committed every input offset. */
    private static double timed(EmbeddedKafka kafka, String appId, int events, EncryptorConfig base, Kms kms, Path dir)
            throws Exception {
        EncryptorConfig config = new EncryptorConfig(appId, base.segmentMaxRecords(), base.segmentMaxBytes(),
                base.segmentMaxAge(), base.kmsTimeout());
        long start = System.nanoTime();
        try (EncryptorService app = EncryptorService.start(config, "bench", kms, Map.of("bootstrap.servers", kafka.bootstrapServers()),
                dir.resolve(appId), new SimpleMeterRegistry()); Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(Topics.CHANGES.name(), p), OffsetSpec.latest());
            }
            long end = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long done = committed.entrySet().stream()
                        .filter(e -> e.getKey().topic().equals(Topics.CHANGES.name()) && e.getValue() != null)
                        .mapToLong(e -> e.getValue().offset()).sum();
                if (done >= end) {
                    return events / ((System.nanoTime() - start) / 1e9);
                }
                Thread.sleep(50); // polling committed offsets
            }
        }
    }

    /** Per-event processing time of both topologies, without a broker: what encryption adds to each event. */
    private static void latency(EncryptorConfig config, Kms real, Kms identity, List<ChangeEvent> events, Path dir) {
        List<byte[]> values = events.stream().map(e -> Topics.CHANGES.valueSerde().serializer().serialize("t", e)).toList();
        for (int warm = 0; warm < 2; warm++) { // warm both up, then measure alternately
            measure(config, real, values, dir.resolve("warm-a" + warm));
            measure(config, identity, values, dir.resolve("warm-b" + warm));
        }
        List<double[]> a = new ArrayList<>();
        List<double[]> b = new ArrayList<>();
        for (int run = 0; run < 5; run++) { // alternating; the median of each percentile over the runs
            long[] x = measure(config, real, values, dir.resolve("lat-a" + run));
            long[] y = measure(config, identity, values, dir.resolve("lat-b" + run));
            a.add(new double[] {pct(x, 50), pct(x, 99), pct(x, 99.9)});
            b.add(new double[] {pct(y, 50), pct(y, 99), pct(y, 99.9)});
        }
        System.out.printf("latency per event (TopologyTestDriver, %,d events, median of 5 alternating runs): encrypting p50 %.1f us,"
                + " p99 %.1f us, p99.9 %.1f us; identity p50 %.1f us, p99 %.1f us, p99.9 %.1f us; added by encryption: p50 %.1f us,"
                + " p99 %.1f us%n", values.size(), median(a, 0), median(a, 1), median(a, 2), median(b, 0), median(b, 1),
                median(b, 2), median(a, 0) - median(b, 0), median(a, 1) - median(b, 1));
    }

    private static long[] measure(EncryptorConfig config, Kms kms, List<byte[]> values, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "latency");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        long[] nanos = new long[values.size()];
        try (TopologyTestDriver driver = new TopologyTestDriver(EncryptorTopology.topology(config, "bench", kms,
                new SimpleMeterRegistry()), props)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic(Topics.CHANGES.name(), new StringSerializer(), (t, v) -> v);
            for (int i = 0; i < values.size(); i++) {
                long t0 = System.nanoTime();
                in.pipeInput("k" + i, values.get(i));
                nanos[i] = System.nanoTime() - t0;
            }
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static double median(List<double[]> runs, int index) {
        double[] values = runs.stream().mapToDouble(r -> r[index]).sorted().toArray();
        return values[values.length / 2];
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)] / 1e3;
    }

    /**
     * The reference: the same KMS calls (every data key generated and wrapped, or unwrapped), but the
     * data keys encrypt as the identity. Benchmark-only; never a KMS for real data.
     */
    static final class IdentityCipherKms extends ForwardingKms {
        private static final Aead IDENTITY = new Aead() {
            @Override
            public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
                return plaintext.clone();
            }

            @Override
            public byte[] decrypt(byte[] ciphertext, byte[] associatedData) {
                return ciphertext.clone();
            }
        };

        IdentityCipherKms(ManagedKms delegate) {
            super(delegate);
        }

        @Override
        public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
            return delegate.generateDek(keyId, context).thenApply(k -> new DataKey(IDENTITY, k.wrapped()));
        }

        @Override
        public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
            return delegate.unwrapDek(wrapped, context).thenApply(a -> IDENTITY);
        }
    }
}
