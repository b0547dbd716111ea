package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.restore.KafkaSink;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.Dirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Restore to Kafka reproduces the source records' keys, headers and timestamps byte for byte; point-in-time bounds. */
class RestoreTargetsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every record a read_committed consumer sees on {@code topic}. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(Map<String, Object> kafka, String topic) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aRestoreToKafkaReproducesKeysHeadersAndTimestampsAndTimeBoundsSelectTheChanges() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-restore-targets-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(700, 1, 23, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            Map<String, Object> kafka = sandbox.config().kafka().clientProperties();
            sandbox.kafka().createTopics(3, "restored.acme");

            Path offsetMap = dir.resolve("offsets.csv");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "kafka:restored.acme",
                    "--provenance-headers", "--offset-map", offsetMap.toString());
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(Files.readAllLines(offsetMap)).as("a header and a line per record").hasSize(701);
            assertThat(restore.out()).as("where each source partition went")
                    .containsPattern("cdc\\.acme\\.\\S+/0 offsets \\d+\\.\\.\\d+ \\(\\d+ records\\) -> partition 0 offsets \\d+");
            // a committed transaction's markers reach the partitions just after the commit returns: read until all are visible
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> readAll(kafka, "restored.acme").size() >= 700);
            List<ConsumerRecord<byte[], byte[]>> restored = readAll(kafka, "restored.acme");
            assertThat(restored).hasSize(700);

            Map<String, ConsumerRecord<byte[], byte[]>> originals = new HashMap<>();
            for (String topic : sandbox.kafka().topicNames()) {
                if (topic.startsWith("cdc.acme.")) {
                    readAll(kafka, topic).forEach(r -> originals.put(r.topic() + "/" + r.partition() + "/" + r.offset(), r));
                }
            }
            for (ConsumerRecord<byte[], byte[]> r : restored) {
                String position = header(r, KafkaSink.SOURCE_TOPIC) + "/" + header(r, KafkaSink.SOURCE_PARTITION) + "/"
                        + header(r, KafkaSink.SOURCE_OFFSET);
                ConsumerRecord<byte[], byte[]> original = originals.get(position);
                assertThat(original).as(position).isNotNull();
                assertThat(r.key()).as("key of " + position).isEqualTo(original.key());
                assertThat(r.timestamp()).as("timestamp of " + position).isEqualTo(original.timestamp());
                List<String> restoredHeaders = new ArrayList<>();
                for (Header h : r.headers()) {
                    if (!h.key().startsWith("strongroom.source.")) {
                        restoredHeaders.add(h.key() + "=" + Arrays.toString(h.value()));
                    }
                }
                List<String> originalHeaders = new ArrayList<>();
                original.headers().forEach(h -> originalHeaders.add(h.key() + "=" + Arrays.toString(h.value())));
                assertThat(restoredHeaders).as("headers of " + position).isEqualTo(originalHeaders);
                assertThat(r.value()).as("value of " + position + ", byte for byte").isEqualTo(original.value());
                assertThat(r.partition()).as("partition of " + position).isEqualTo(original.partition());
            }

            // --as-envelope: today's re-serialized form, the row images the source's
            sandbox.kafka().createTopics(1, "enveloped.acme");
            PipelineIT.Run enveloped = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target",
                    "kafka:enveloped.acme", "--as-envelope");
            assertThat(enveloped.code()).as(enveloped.err()).isZero();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> readAll(kafka, "enveloped.acme").size() >= 700);
            for (ConsumerRecord<byte[], byte[]> r : readAll(kafka, "enveloped.acme")) {
                String position = header(r, KafkaSink.SOURCE_TOPIC) + "/" + header(r, KafkaSink.SOURCE_PARTITION) + "/"
                        + header(r, KafkaSink.SOURCE_OFFSET);
                ConsumerRecord<byte[], byte[]> original = originals.get(position);
                assertThat(original).as(position).isNotNull();
                if (original.value() != null && r.value() != null) {
                    JsonNode source = JSON.readTree(original.value());
                    JsonNode back = JSON.readTree(r.value());
                    assertThat(back.get("after")).as("row of " + position).isEqualTo(source.path("payload").isMissingNode()
                            ? source.get("after") : source.get("payload").get("after"));
                    assertThat(r.value()).as("re-serialized, not the original").isNotEqualTo(original.value());
                }
            }

            // point in time: everything up to the median event time, and a window after it
            Path all = dir.resolve("all.jsonl");
            assertThat(PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + all).code()).isZero();
            List<Long> times = new ArrayList<>();
            for (String line : Files.readAllLines(all)) {
                JsonNode n = JSON.readTree(line);
                times.add(n.get("eventTimeMs").isNull() ? n.get("source").get("timestampMs").asLong() : n.get("eventTimeMs").asLong());
            }
            List<Long> sorted = times.stream().sorted().toList();
            long median = sorted.get(sorted.size() / 2);
            Path asOf = dir.resolve("as-of.jsonl");
            PipelineIT.Run pit = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--as-of",
                    Instant.ofEpochMilli(median).toString(), "--to-target", "jsonl:" + asOf);
            assertThat(pit.code()).as(pit.err()).isZero();
            assertThat(Files.readAllLines(asOf)).hasSize((int) times.stream().filter(t -> t <= median).count());
            Path window = dir.resolve("window.jsonl");
            PipelineIT.Run between = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--from",
                    Instant.ofEpochMilli(median).toString(), "--until", Instant.ofEpochMilli(sorted.get(sorted.size() - 1)).toString(),
                    "--to-target", "jsonl:" + window);
            assertThat(Files.readAllLines(window)).hasSize((int) times.stream().filter(t -> t >= median).count());
            assertThat(Files.readString(all)).contains(CdcGenerator.DEFAULT_CANARY);
            Path masked = dir.resolve("masked.jsonl");
            PipelineIT.Run mask = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--mask", "name,notes,memo",
                    "--to-target", "jsonl:" + masked);
            assertThat(mask.code()).as(mask.err()).isZero();
            assertThat(Files.readAllLines(masked)).hasSize(700);
            assertThat(Files.readString(masked)).doesNotContain(CdcGenerator.DEFAULT_CANARY).contains("masked-");
            PipelineIT.Run bad = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--as-of", "yesterday", "--dry-run");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("--as-of must be an ISO-8601 instant");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
