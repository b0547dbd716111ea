package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strongroom.anomaly.AnomalyService;
import io.strongroom.archiver.ArchiverService;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestService;
import io.strongroom.ingest.PayloadDigest;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestSecrets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Least privilege on a broker that authorizes every request (StandardAuthorizer, SASL users, no super user but the
 * admin): with exactly the ACLs {@code strongroom acls} prints, each service — its own principal — does its job end to
 * end, and is denied what it has no business doing.
 */
class LeastPrivilegeIT {
    private static final List<String> USERS = List.of("admin", "ingest", "encryptor", "archiver", "coordinator", "anomaly", "restore");

    private static Map<String, Object> as(EmbeddedKafka kafka, String user) {
        Map<String, Object> props = new HashMap<>(EmbeddedKafka.sasl(user, TestSecrets.kafkaPassword(user)));
        props.put("bootstrap.servers", kafka.bootstrapServers());
        return props;
    }

    /** The configuration a service runs with: the shared one, with its own Kafka credentials. */
    private static Path config(Path dir, EmbeddedKafka kafka, EmbeddedS3 s3, String user) throws Exception {
        Path file = dir.resolve(user + ".yaml");
        Files.writeString(file, String.join("\n",
                "environment: demo",
                "data-dir: " + dir.resolve("state-" + user),
                "kafka:",
                "  bootstrap-servers: " + kafka.bootstrapServers(),
                "  partitions: 2",
                "  replication-factor: 1",
                "  properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN, sasl.jaas.config: "
                        + "'org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                        + "\" password=\"" + TestSecrets.kafkaPassword(user) + "\";'}",
                Sandbox.s3Yaml(s3.endpoint().toString(), "archive"),
                Sandbox.localKmsYaml(dir.resolve("kms"), dir.resolve("kms-passphrase")),
                "encryptor:",
                "  segment-max-age: PT1S",
                "coordinator:",
                "  tenants: [acme]",
                "metrics:",
                "  enabled: false",
                ""));
        return file;
    }

    private static void denied(Runnable attempt, String what) {
        assertThatThrownBy(attempt::run).as(what).hasStackTraceContaining("Not authorized to access topics");
    }

    private static Runnable read(Map<String, Object> props, String topic) {
        return () -> {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                c.assign(List.of(new TopicPartition(topic, 0)));
                c.seekToBeginning(c.assignment());
                for (int i = 0; i < 20; i++) {
                    c.poll(Duration.ofMillis(500));
                }
            }
        };
    }

    private static Runnable write(Map<String, Object> props, String topic) {
        return () -> {
            Map<String, Object> p = new HashMap<>(props);
            p.put("max.block.ms", 10_000);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, "x".getBytes())).get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void eachServiceDoesItsJobWithExactlyItsAclsAndIsDeniedTheRest() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-least-privilege-it-");
        Map<String, String> users = new LinkedHashMap<>();
        USERS.forEach(u -> users.put(u, TestSecrets.kafkaPassword(u)));
        Files.writeString(dir.resolve("kms-passphrase"), "least-privilege-" + System.nanoTime());
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithAcls(dir.resolve("kafka"), true, users);
                EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), true)) {
            s3.createBucket("archive");
            Map<String, Path> configs = new HashMap<>();
            for (String u : USERS) {
                configs.put(u, config(dir, kafka, s3, u));
            }
            Map<String, StrongroomConfig> c = new HashMap<>();
            configs.forEach((u, f) -> c.put(u, ConfigLoader.load(f, Map.of())));

            // nobody but the admin can do anything before the ACLs exist
            denied(write(as(kafka, "restore"), Topics.AUDIT.name()), "no ACLs yet");

            PipelineIT.Run printed = PipelineIT.run("acls", "--config", configs.get("admin").toString(), "--service", "archiver");
            assertThat(printed.out()).contains("--allow-principal User:archiver --operation READ --topic strongroom.segments")
                    .contains("\"s3:PutObject\"").as("the archiver holds no key: no KMS action allowed, all denied")
                    .doesNotContainPattern("\"Effect\" : \"Allow\",\\s*\"Action\" : \\[[^\\]]*kms:")
                    .containsPattern("\"Effect\" : \"Deny\",\\s*\"Action\" : \\[ \"kms:\\*\" \\]");
            PipelineIT.Run apply = PipelineIT.run("acls", "--config", configs.get("admin").toString(), "--apply");
            assertThat(apply.code()).as(apply.err()).isZero();
            assertThat(apply.out()).containsPattern("created [0-9]+ ACLs");

            // the coordinator creates the topics and the tenant's key, as itself
            PipelineIT.Run pass = PipelineIT.run("coordinator", "--once", "--config", configs.get("coordinator").toString());
            assertThat(pass.code()).as(pass.out() + pass.err()).isZero();
            CdcGenerator generator = new CdcGenerator(CdcGenerator.Options.of(300, "acme").withSeed(67));
            kafka.createTopics(2, generator.topics().toArray(String[]::new));

            try (Kms ingestKms = KmsFactory.create(c.get("ingest"), "ingest");
                    Kms encryptorKms = KmsFactory.create(c.get("encryptor"), "encryptor");
                    IngestService ingest = IngestService.start(c.get("ingest").ingest(), c.get("ingest").kafka().clientProperties(),
                            dir.resolve("streams-ingest"), new DeadLetterSealer(ingestKms, "demo", DeadLetterSealer.QUARANTINE_TENANT,
                                    Duration.ofSeconds(10), PayloadDigest.of(
                                            TestSecrets.DLQ_DIGEST_KEY.getBytes(StandardCharsets.UTF_8), "demo")));
                    EncryptorService encryptor = EncryptorService.start(c.get("encryptor").encryptor(), "demo", encryptorKms,
                            c.get("encryptor").kafka().clientProperties(), dir.resolve("streams-encryptor"));
                    ArchiverService archiver = ArchiverService.start(c.get("archiver").archiver(), c.get("archiver").s3(), "demo",
                            c.get("archiver").kafka().clientProperties());
                    AnomalyService anomaly = AnomalyService.start(c.get("anomaly").anomaly(), c.get("anomaly").kafka().clientProperties(),
                            dir.resolve("streams-anomaly"))) {
                CdcProducer.produce(as(kafka, "admin"), generator.generate());
                await().atMost(Duration.ofSeconds(120)).until(() -> archiver.recordsArchived() >= 300
                        || ingest.state() == KafkaStreams.State.ERROR || encryptor.state() == KafkaStreams.State.ERROR);
                assertThat(archiver.recordsArchived()).isEqualTo(300);
                await().atMost(Duration.ofSeconds(60)).until(() -> anomaly.state() == KafkaStreams.State.RUNNING);

                Path out = dir.resolve("restored.jsonl");
                PipelineIT.Run restore = PipelineIT.run("restore", "--config", configs.get("restore").toString(), "--tenant", "acme",
                        "--to-target", "jsonl:" + out);
                assertThat(restore.code()).as(restore.err()).isZero();
                assertThat(Files.readAllLines(out)).hasSize(300);
                assertThat(ingest.state()).isIn(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
                assertThat(encryptor.state()).isIn(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
                assertThat(anomaly.state()).isEqualTo(KafkaStreams.State.RUNNING);
            }

            String cdc = generator.topics().get(0);
            denied(read(as(kafka, "encryptor"), Topics.ARCHIVE_INDEX.name()), "the encryptor cannot read the archive index");
            denied(read(as(kafka, "archiver"), Topics.CHANGES.name()), "the archiver cannot read plaintext changes");
            denied(read(as(kafka, "archiver"), cdc), "the archiver cannot read CDC topics");
            denied(write(as(kafka, "restore"), cdc), "restore cannot write CDC topics");
            denied(write(as(kafka, "anomaly"), Topics.KEYS.name()), "the anomaly detector cannot publish key versions");
            denied(read(as(kafka, "ingest"), Topics.SEGMENTS.name()), "ingest cannot read segments");
            denied(write(as(kafka, "encryptor"), Topics.CHANGES.name()), "the encryptor cannot write changes");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
