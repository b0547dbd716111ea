package io.strongroom.bench;

import io.strongroom.ingest.IngestConfig;
import io.strongroom.ingest.IngestService;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Ingest throughput against its reference, in one run on one embedded broker: the same topic of
 * ~1 KiB Debezium JSON events is read by (a) a plain exactly-once consume→produce passthrough
 * (Kafka Streams, bytes in, bytes out) and (b) ingest (parse, validate, normalize to Avro,
 * exactly once). Each is timed from start until its committed input offsets reach the end. Runs
 * alternate; each round gives a ratio ingest/passthrough, and the median ratio is the result (the
 * machine keeps warming up across rounds, which biases a best-of comparison).
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.IngestThroughputHarness [events] [rounds]</pre>
 */
public final class IngestThroughputHarness {
    private static final String INPUT = "cdc.bench.public.orders";

    private IngestThroughputHarness() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = Files.createTempDirectory("strongroom-ingest-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), true, Map.of())) {
            kafka.createTopics(3, INPUT, "passthrough.out", Topics.CHANGES.name(), Topics.INGEST_DLQ.name());
            long bytes = produce(kafka.bootstrapServers(), events);
            System.out.printf("input: %,d events, %,d bytes (%.0f bytes/event)%n", events, bytes, (double) bytes / events);
            double bestPass = 0;
            double bestIngest = 0;
            List<Double> ratios = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                final int round = r;
                double pass = timed(kafka, "passthrough-" + round, events,
                        () -> passthrough(kafka.bootstrapServers(), "passthrough-" + round, dir));
                double ingest = timed(kafka, "ingest-" + round, events, () -> IngestService.start(
                        new IngestConfig("ingest-" + round, null, null, null, null, 4 * 1024 * 1024, null, null, null, null, null),
                        Map.of("bootstrap.servers", kafka.bootstrapServers()), dir.resolve("ingest-" + round)));
                System.out.printf("round %d: passthrough %,.0f events/s, ingest %,.0f events/s, ratio %.2f%n", round, pass,
                        ingest, ingest / pass);
                ratios.add(ingest / pass);
                bestPass = Math.max(bestPass, pass);
                bestIngest = Math.max(bestIngest, ingest);
            }
            double mb = bytes / (double) events / 1e6;
            Collections.sort(ratios);
            System.out.printf("best: passthrough %,.0f events/s (%.1f MB/s), ingest %,.0f events/s (%.1f MB/s)%n",
                    bestPass, bestPass * mb, bestIngest, bestIngest * mb);
            System.out.printf("median ratio ingest/passthrough over %d rounds: %.2f%n", ratios.size(), ratios.get(ratios.size() / 2));
        }
    }

    private static long produce(String bootstrap, int events) throws Exception {
        String padding = "x".repeat(700);
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "linger.ms", 20, "batch.size", 262144, "compression.type", "lz4"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                byte[] key = ("{\"id\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                byte[] value = ("{\"before\":null,\"after\":{\"id\":" + i + ",\"customer_id\":" + (i % 997)
                        + ",\"total\":\"" + (i % 10000) + ".50\",\"currency\":\"EUR\",\"status\":\"NEW\",\"notes\":\"" + padding
                        + "\"},\"source\":{\"version\":\"3.6.1.Final\",\"connector\":\"postgresql\",\"name\":\"cdc.bench\","
                        + "\"ts_ms\":1767225600000,\"snapshot\":\"false\",\"db\":\"bench\",\"schema\":\"public\",\"table\":\"orders\","
                        + "\"txId\":" + i + ",\"lsn\":" + (1000L * i) + "},\"op\":\"c\",\"ts_ms\":1767225600001,\"transaction\":null}")
                        .getBytes(StandardCharsets.UTF_8);
                bytes += value.length;
                producer.send(new ProducerRecord<>(INPUT, key, value));
            }
            producer.flush();
        }
        return bytes;
    }

    private static AutoCloseable passthrough(String bootstrap, String appId, Path dir) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to("passthrough.out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(appId).toString());
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.putAll(IngestService.streamsSettings()); // the same commit interval and clients as ingest: only the work differs
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        streams.start();
        return () -> streams.close(Duration.ofSeconds(30));
    }

    private interface Starter {
        AutoCloseable start() throws Exception;
    }

    /** Events per second from start until {@code group} has committed every input offset. */
    private static double timed(EmbeddedKafka kafka, String group, int events, Starter starter) throws Exception {
        long start = System.nanoTime();
        try (AutoCloseable app = starter.start(); Admin admin = kafka.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 3; p++) {
                latest.put(new TopicPartition(INPUT, p), OffsetSpec.latest());
            }
            long end = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(INPUT) && e.getValue() != null)
                        .mapToLong(e -> e.getValue().offset()).sum();
                if (done >= end) {
                    return events / ((System.nanoTime() - start) / 1e9);
                }
                Thread.sleep(50); // polling committed offsets
            }
        }
    }
}
