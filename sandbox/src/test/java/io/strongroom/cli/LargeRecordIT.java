package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Pipeline;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.testkit.Dirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A record as large as ingest accepts ({@code ingest.max-record-bytes}, 1 MiB by default) of data that
 * does not compress (base64 of random bytes, as a bytea column is sent) is backed up and restored
 * like any other: no limit on the way (the ingest producer, {@code strongroom.changes}, the
 * encryptor's segment, {@code strongroom.segments}) is smaller than what ingest lets in.
 */
class LargeRecordIT {
    @Test
    void aRecordOfTheLargestAcceptedSizeIsArchivedAndRestored() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-large-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            StrongroomConfig config = sandbox.config();
            String topic = "cdc.acme.public.blobs";
            int limit = config.ingest().maxRecordBytes();
            try (Admin admin = Admin.create(config.kafka().clientProperties())) { // a source topic that takes such records
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(2 * limit))))).all().get(60, TimeUnit.SECONDS);
            }
            String prefix = "{\"before\":null,\"after\":{\"id\":1,\"blob\":\"";
            String suffix = "\"},\"op\":\"c\",\"ts_ms\":1700000000000}";
            byte[] random = new byte[(limit - prefix.length() - suffix.length()) / 4 * 3];
            new SecureRandom().nextBytes(random);
            String blob = Base64.getEncoder().encodeToString(random);
            byte[] value = (prefix + blob + suffix).getBytes(StandardCharsets.UTF_8);
            assertThat(value.length).isBetween(limit - 4, limit);
            Map<String, Object> props = new HashMap<>(config.kafka().clientProperties());
            props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * limit);
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(topic, "{\"id\":1}".getBytes(StandardCharsets.UTF_8), value)).get();
                p.send(new ProducerRecord<>(topic, "{\"id\":2}".getBytes(StandardCharsets.UTF_8),
                        "{\"after\":{\"id\":2},\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8))).get();
            }
            try (ManagedKms kms = KmsFactory.create(config, "encryptor"); ManagedKms ingestKms = KmsFactory.create(config, "ingest");
                    Pipeline pipeline = Pipeline.start(config, kms, ingestKms)) {
                await("both records archived").atMost(Duration.ofSeconds(90))
                        .until(() -> pipeline.archiver().recordsArchived() >= 2);
            }
            Path jsonl = dir.resolve("blobs.jsonl");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", sandbox.configFile().toString(), "--tenant", "acme",
                    "--to-target", "jsonl:" + jsonl);
            assertThat(restore.code()).as(restore.err()).isZero();
            List<String> lines = Files.readAllLines(jsonl);
            assertThat(lines).hasSize(2);
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"blob\":\"" + blob + "\""));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
