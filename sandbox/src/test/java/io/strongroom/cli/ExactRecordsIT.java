package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Pipeline;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.RequiredService;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * A backup restores what was written, byte for byte. An independent producer (kcat, librdkafka) writes
 * Debezium JSON whose rows hold numbers no double can carry (an integer beyond 2^64, 30+ significant
 * digits, exponents, negative zero, trailing zeros), one with Debezium's embedded schema, a key that
 * is not JSON and a tombstone. Through the real pipeline and back: the restored Kafka records equal
 * what the source topic holds (read back, not what kcat was told) in key, value, headers, timestamp
 * and partition, each key's records in their order; the JSONL restore carries each row image as the
 * very text that was produced.
 */
class ExactRecordsIT {
    private static final String TOPIC = "cdc.acme.public.ledger";
    private static final String ROW = "{\"id\": %d, \"big\": 18446744073709551617123, \"balance\": 1234567890.123456789012,"
            + " \"pi\": 3.14159265358979323846264338327950288, \"tiny\": 1e-30, \"huge\": -1.5E+300, \"nz\": -0, \"nzf\": -0.0,"
            + " \"trail\": 2.50, \"nested\": {\"v\": [12345678901234567890123, 0.1, 1E2]}, \"name\": \"Zo\\u00eb \\\"q\\\"\"}";

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static String envelope(String before, String after, String op, long ts) {
        return "{\"before\": " + before + ", \"after\": " + after + ", \"source\": {\"lsn\": 123456789012345678901,"
                + " \"schema\": \"public\", \"table\": \"ledger\"}, \"op\": \"" + op + "\", \"ts_ms\": " + ts + "}";
    }

    @Test
    void kafkaAndJsonlRestoresEqualWhatAnIndependentProducerWroteByteForByte() throws Exception {
        RequiredService.require("kcat", onPath("kcat"), "apt-get install kcat");
        Path dir = Files.createTempDirectory("strongroom-exact-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            sandbox.kafka().createTopics(2, TOPIC);
            List<String[]> lines = new ArrayList<>(); // key, value (null: tombstone)
            String row1 = ROW.formatted(1);
            String row2 = ROW.formatted(2).replace("2.50", "2.5000");
            lines.add(new String[] {"{\"id\": 1}", envelope("null", row1, "c", 1_700_000_000_001L)});
            lines.add(new String[] {"order-7f3a", envelope("null", row2, "c", 1_700_000_000_002L)});
            lines.add(new String[] {"{\"id\": 1}", envelope(row1, row1.replace("1e-30", "1e-31"), "u", 1_700_000_000_003L)});
            String schema = "{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"optional\":false,"
                    + "\"field\":\"id\"}],\"optional\":true,\"name\":\"cdc.acme.public.ledger.Value\",\"field\":\"after\"}],"
                    + "\"optional\":false,\"name\":\"cdc.acme.public.ledger.Envelope\"}";
            lines.add(new String[] {"{\"id\": 3}", "{\"schema\": " + schema + ", \"payload\": "
                    + envelope("null", "{\"id\": 3, \"amount\": 99999999999999999999.99999999999999999999}", "c", 1_700_000_000_004L)
                    + "}"});
            lines.add(new String[] {"{\"id\": 1}", envelope(row1, "null", "d", 1_700_000_000_005L)});
            lines.add(new String[] {"{\"id\": 1}", null});
            Process kcat = new ProcessBuilder("kcat", "-b", sandbox.kafka().bootstrapServers(), "-t", TOPIC, "-P", "-K", "\t", "-Z",
                    "-H", "producer=kcat", "-H", "trace=00-\u00e9-01").redirectErrorStream(true).start();
            try (OutputStream in = kcat.getOutputStream()) {
                for (String[] line : lines) {
                    in.write((line[0] + "\t" + (line[1] == null ? "" : line[1]) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).as("kcat finished").isTrue();
            assertThat(kcat.exitValue()).as(new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
            List<ConsumerRecord<byte[], byte[]>> source = RestoreTargetsIT.readAll(sandbox.config().kafka().clientProperties(), TOPIC);
            assertThat(source).as("what the source topic holds").hasSize(lines.size());

            StrongroomConfig config = sandbox.config();
            try (ManagedKms kms = KmsFactory.create(config, "encryptor"); ManagedKms ingestKms = KmsFactory.create(config, "ingest");
                    Pipeline pipeline = Pipeline.start(config, kms, ingestKms)) {
                await("every record of " + TOPIC + " archived").atMost(Duration.ofSeconds(90))
                        .until(() -> pipeline.archiver().recordsArchived() >= lines.size());
            }
            assertThat(RestoreTargetsIT.readAll(config.kafka().clientProperties(), "strongroom.ingest.dlq"))
                    .as("nothing dead-lettered, the non-JSON key included").isEmpty();

            String cfg = sandbox.configFile().toString();
            sandbox.kafka().createTopics(2, "restored.ledger");
            PipelineIT.Run toKafka = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target",
                    "kafka:restored.ledger");
            assertThat(toKafka.code()).as(toKafka.err()).isZero();
            await("the restore's records visible to read_committed").atMost(Duration.ofSeconds(30))
                    .until(() -> RestoreTargetsIT.readAll(config.kafka().clientProperties(), "restored.ledger").size() >= lines.size());
            // per partition and key, in order (records of different keys of one source partition travel on different
            // partitions of strongroom.changes, so only each key's order is the source's)
            Map<String, List<String>> expected = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : source) {
                expected.computeIfAbsent("p" + r.partition() + " " + Arrays.toString(r.key()), p -> new ArrayList<>()).add(describe(r));
            }
            Map<String, List<String>> restored = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : RestoreTargetsIT.readAll(config.kafka().clientProperties(), "restored.ledger")) {
                restored.computeIfAbsent("p" + r.partition() + " " + Arrays.toString(r.key()), p -> new ArrayList<>()).add(describe(r));
            }
            assertThat(restored).as("per partition and key, in order: key, value, headers, timestamp byte for byte")
                    .isEqualTo(expected);

            Path jsonl = dir.resolve("ledger.jsonl");
            PipelineIT.Run toFile = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + jsonl);
            assertThat(toFile.code()).as(toFile.err()).isZero();
            String all = Files.readString(jsonl);
            assertThat(Files.readAllLines(jsonl)).hasSize(lines.size());
            assertThat(all).as("row images as the text produced").contains("\"after\":" + row1, "\"after\":" + row2,
                    "\"before\":" + row1, "\"after\":" + row1.replace("1e-30", "1e-31"),
                    "\"after\":{\"id\": 3, \"amount\": 99999999999999999999.99999999999999999999}",
                    "\"key\":{\"id\": 1}", "\"sourceInfo\":{\"lsn\": 123456789012345678901, \"schema\": \"public\", \"table\": \"ledger\"}");
            assertThat(all).contains("\"originalKeyBase64\":\"" + Base64.getEncoder().encodeToString(
                    "order-7f3a".getBytes(StandardCharsets.UTF_8)) + "\"");
            assertThat(all).doesNotContain("1.2345678901234567E9", "1.0E-30", "1.8446744073709552E22");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static String describe(ConsumerRecord<byte[], byte[]> r) {
        List<String> headers = new ArrayList<>();
        for (Header h : r.headers()) {
            headers.add(h.key() + "=" + Arrays.toString(h.value()));
        }
        return "key=" + Arrays.toString(r.key()) + " value=" + (r.value() == null ? "null" : Arrays.toString(r.value()))
                + " headers=" + headers + " ts=" + r.timestamp();
    }
}
