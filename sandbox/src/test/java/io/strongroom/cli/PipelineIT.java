package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.ingest.IngestService;
import io.strongroom.schemas.ChangeEvents;
import io.strongroom.schemas.Topic;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.ConsoleCapture;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.RequiredService;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The walking skeleton end to end on real parts: in-JVM KRaft Kafka, S3Proxy, a local Tink KMS,
 * ingest → encryptor → archiver, and a restore from S3 alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineIT {
    private static final String CANARY = CdcGenerator.DEFAULT_CANARY;
    static Path dir;
    static Sandbox sandbox;
    static Demo.Result result;

    @BeforeAll
    static void runPipeline() throws Exception {
        dir = Files.createTempDirectory("strongroom-pipeline-it-");
        sandbox = Sandbox.start(dir, "PT1S");
        result = Demo.run(sandbox, new Demo.Options(3000, 3, 7, Duration.ofMinutes(3)), System.out);
    }

    @AfterAll
    static void stop() {
        sandbox.close();
        Dirs.deleteRecursively(dir);
    }

    @Test
    @Order(1)
    void restoredEventsEqualTheGeneratedOnesInPerKeyOrder() {
        assertThat(result.comparison().examples()).isEmpty();
        assertThat(result.comparison().expected()).isEqualTo(3000);
        assertThat(result.comparison().restored()).isEqualTo(3000);
        assertThat(result.comparison().matches()).isTrue();
        assertThat(result.restoreProblems()).isEmpty();
        assertThat(result.segments()).isGreaterThan(3);
        assertThat(result.ok()).isTrue();
    }

    @Test
    @Order(2)
    void malformedJsonLandsOnTheDlqWithReasonAndPositionWhileGoodEventsAroundItAreArchived() {
        assertThat(result.deadLetters()).singleElement().asString()
                .startsWith("UNPARSEABLE at cdc.acme.public.orders/")
                .contains("value is not valid JSON at line 1")
                .doesNotContain(CANARY);
        // the malformed record was produced between the two halves of the events, all of which were restored
        assertThat(result.comparison().missing()).isZero();
    }

    @Test
    @Order(3)
    void noS3ObjectContainsTheCanary() {
        List<String> keys = new ArrayList<>();
        List<String> leaking = new ArrayList<>();
        int signed = 0;
        try (S3Client s3 = sandbox.config().s3().client()) {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET)).contents()) {
                keys.add(o.key());
                byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(o.key())).asByteArray();
                signed += Signed.isEnvelope(bytes) ? 1 : 0;
                if (new String(bytes, StandardCharsets.ISO_8859_1).contains(CANARY)) {
                    leaking.add(o.key());
                }
            }
        }
        List<String> segmentKeys = keys.stream().filter(k -> k.endsWith(".srseg")).toList();
        assertThat(segmentKeys).hasSize(result.segments()).allMatch(k -> k.startsWith("demo/"));
        assertThat(keys).as("besides segments, only manifests and signed chain heads").filteredOn(k -> !k.endsWith(".srseg"))
                .isNotEmpty().allMatch(k -> (k.contains("/_manifests/") || k.startsWith("demo/_chain-heads/")) && k.endsWith(".json"));
        assertThat(signed).as("every manifest part and checkpoint is signed by its writer")
                .isEqualTo(keys.size() - segmentKeys.size());
        assertThat(leaking).isEmpty();
    }

    @Test
    @Order(3)
    void anIndependentClientAwscliListsAndDownloadsTheArchiveAndFindsNoCanary() throws Exception {
        RequiredService.require("awscli", onPath("aws"), "apt-get install awscli");
        Path download = Files.createTempDirectory(dir, "awscli-");
        ProcessBuilder pb = new ProcessBuilder("aws", "--endpoint-url", sandbox.config().s3().endpoint(), "--region",
                sandbox.config().s3().region(), "s3", "cp", "s3://" + Sandbox.BUCKET + "/", download.toString(), "--recursive",
                "--only-show-errors").redirectErrorStream(true);
        pb.environment().put("AWS_ACCESS_KEY_ID", sandbox.config().s3().accessKey());
        pb.environment().put("AWS_SECRET_ACCESS_KEY", sandbox.config().s3().secretKey());
        pb.environment().put("AWS_CONFIG_FILE", "/dev/null");
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        Process aws = pb.start();
        String output = new String(aws.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(aws.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(aws.exitValue()).as(output).isZero();
        List<Path> files;
        try (var walk = Files.walk(download)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files.stream().filter(f -> f.toString().endsWith(".srseg"))).hasSize(result.segments());
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(CANARY);
            if (f.toString().endsWith(".srseg")) {
                Segment.parse(f.toString(), bytes); // intact: the CRC32C of the body matches
            }
        }
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    @Test
    @Order(4)
    void canaryIsOnlyInTheInputTopicsEvenCountingChangelogsAndAbortedTransactions() {
        Map<String, Long> canaryByTopic = new HashMap<>();
        Map<String, Long> recordsByTopic = new HashMap<>();
        for (String topic : sandbox.kafka().topicNames()) {
            scan(topic, recordsByTopic, canaryByTopic);
        }
        assertThat(recordsByTopic.keySet()).as("changelogs exist and were scanned")
                .anyMatch(t -> t.startsWith("strongroom-encryptor-") && t.endsWith("-changelog"));
        assertThat(recordsByTopic.get(Topics.SEGMENTS.name())).isPositive();
        assertThat(canaryByTopic.keySet()).as("the scan finds the canary where it belongs").contains(Topics.CHANGES.name())
                .anyMatch(t -> t.startsWith("cdc."));
        assertThat(canaryByTopic.keySet()).as("topics other than the input topics holding the canary")
                .allMatch(t -> t.startsWith("cdc.") || t.equals(Topics.CHANGES.name()));
    }

    private static void scan(String topic, Map<String, Long> records, Map<String, Long> canary) {
        Map<String, Object> props = new HashMap<>(sandbox.config().kafka().clientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        var raw = new Topic<>(topic, Serdes.ByteArray(), Serdes.ByteArray());
        TopicReader.readToEnd(props, raw, r -> {
            records.merge(topic, 1L, Long::sum);
            if (contains(r.key()) || contains(r.value())) {
                canary.merge(topic, 1L, Long::sum);
            }
            r.headers().forEach(h -> {
                if (contains(h.value())) {
                    canary.merge(topic, 1L, Long::sum);
                }
            });
        });
    }

    private static boolean contains(byte[] bytes) {
        return bytes != null && new String(bytes, StandardCharsets.ISO_8859_1).contains(CANARY);
    }

    @Test
    @Order(5)
    void cliVerifyAndRestoreWorkFromTheWrittenConfigFile() throws Exception {
        Run verify = run("verify", "--config", sandbox.configFile().toString());
        assertThat(verify.code).as(verify.err).isZero();
        assertThat(verify.out).contains("\"ok\" : true").contains("\"events\" : 3000");

        Path out = dir.resolve("acme.jsonl");
        Run restore = run("restore", "--config", sandbox.configFile().toString(), "--tenant", "acme", "--to-target", "jsonl:" + out);
        assertThat(restore.code).as(restore.err).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).isNotEmpty().allMatch(l -> l.contains("\"tenant\":\"acme\""));
        assertThat(lines.size()).isLessThan(3000);
    }

    @Test
    @Order(6)
    void everyKeyUseIsOnTheAuditTrailAndItsChainsVerify() {
        Run audit = run("audit", "verify", "--config", sandbox.configFile().toString());
        assertThat(audit.code).as(audit.out + audit.err).isZero();
        assertThat(audit.out).contains("audit trail intact");
        Map<String, Long> actions = new HashMap<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT,
                r -> actions.merge(r.value().getPrincipal() + " " + r.value().getAction()
                        + (String.valueOf(r.value().getSegmentId()).startsWith("state-root/") ? " state-root" : ""), 1L, Long::sum));
        // one data key per segment, each unwrapped once by the demo's restore and once by the CLI verify above
        assertThat(actions.get("encryptor GENERATE_DEK")).isEqualTo((long) result.segments());
        // and one per encryptor task for its state root (under the quarantine key), at least one
        assertThat(actions.get("encryptor GENERATE_DEK state-root")).isPositive();
        assertThat(actions.get("restore UNWRAP_DEK")).isGreaterThanOrEqualTo(2L * result.segments());
        assertThat(actions.get("coordinator CREATE_KEY")).isEqualTo(3L);
    }

    @Test
    @Order(7)
    void auditVerifyPinpointsADeletedAModifiedAndAReorderedEventOnATopic() throws Exception {
        List<AuditEvent> events = new ArrayList<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT,
                r -> events.add(r.value()));
        assertThat(events).hasSizeGreaterThan(10);
        // an event followed by another of its emitter (deleting a chain's last event needs checkpoints to detect)
        int swap = IntStream.range(1, events.size())
                .filter(i -> events.get(i).getEmitter().equals(events.get(i - 1).getEmitter())).findFirst().orElseThrow();
        List<AuditEvent> deleted = new ArrayList<>(events);
        AuditEvent gone = deleted.remove(swap - 1);
        List<AuditEvent> modified = new ArrayList<>(events);
        modified.set(6, AuditEvent.newBuilder(events.get(6)).setPrincipal("someone-else").build());
        List<AuditEvent> reordered = new ArrayList<>(events);
        Collections.swap(reordered, swap - 1, swap);

        Map<String, List<AuditEvent>> copies = Map.of("audit-deleted", deleted, "audit-modified", modified,
                "audit-reordered", reordered);
        sandbox.kafka().createTopics(1, copies.keySet().toArray(String[]::new));
        try (var producer = new KafkaProducer<>(sandbox.config().kafka().clientProperties(),
                Topics.AUDIT.keySerde().serializer(), Topics.AUDIT.valueSerde().serializer())) {
            copies.forEach((topic, list) -> list.forEach(e ->
                    producer.send(new ProducerRecord<>(topic, e.getEmitter(), e))));
        }
        Run d = run("audit", "verify", "--config", sandbox.configFile().toString(), "--topic", "audit-deleted");
        assertThat(d.code).isEqualTo(1);
        assertThat(d.out).contains("emitter " + gone.getEmitter()).contains(gone.getSequence() == 0
                ? "1 earlier event(s) of this emitter are missing" : "1 event(s) missing after sequence " + (gone.getSequence() - 1))
                .contains("audit trail DAMAGED");
        Run m = run("audit", "verify", "--config", sandbox.configFile().toString(), "--topic", "audit-modified");
        assertThat(m.code).isEqualTo(1);
        assertThat(m.out).contains("audit-modified/0/6 (emitter " + events.get(6).getEmitter()).contains("modified");
        Run r = run("audit", "verify", "--config", sandbox.configFile().toString(), "--topic", "audit-reordered");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.out).contains("out of order");
    }

    @Test
    @Order(8)
    void verifyNamesATamperedObjectAndExitsNonZero() {
        String victim;
        try (S3Client s3 = sandbox.config().s3().client()) {
            victim = s3.listObjectsV2(b -> b.bucket(Sandbox.BUCKET)).contents().stream().map(o -> o.key())
                    .filter(k -> k.endsWith(".srseg")).findFirst().orElseThrow();
            byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(victim)).asByteArray();
            bytes[bytes.length - 3] ^= 0x01;
            s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(victim), RequestBody.fromBytes(bytes));
        }
        Run verify = run("verify", "--config", sandbox.configFile().toString());
        assertThat(verify.code).isEqualTo(1);
        assertThat(verify.out).contains("\"ok\" : false").contains(victim);
    }

    private static String deadLetterPosition() {
        List<String> positions = new ArrayList<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.INGEST_DLQ,
                r -> positions.add(r.key()));
        assertThat(positions).hasSize(1);
        return positions.get(0);
    }

    @Test
    @Order(9)
    void dlqListShowsTheSealedLetterAndShowDecryptsItUnderAnAuditedPrincipal() throws Exception {
        String position = deadLetterPosition();
        Run list = run("dlq", "list", "--config", sandbox.configFile().toString());
        assertThat(list.code).as(list.err).isZero();
        assertThat(list.out).contains(position).contains("UNPARSEABLE").contains("sealed").contains("1 dead letters")
                .doesNotContain(CANARY);

        Path out = dir.resolve("dead-letter.json");
        Run show = run("dlq", "show", "--config", sandbox.configFile().toString(), "--record", position,
                "--principal", "alice", "--out", out.toString());
        assertThat(show.code).as(show.err).isZero();
        assertThat(Files.readString(out)).isEqualTo(new String(Demo.malformed("acme").value(), StandardCharsets.UTF_8));
        assertThat(show.err).contains("key      {\"id\":999}").contains("UNPARSEABLE");
        assertThat(Files.getPosixFilePermissions(out)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

        Map<String, Long> actions = new HashMap<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT,
                r -> actions.merge(r.value().getPrincipal() + " " + r.value().getAction() + " " + r.value().getOutcome(), 1L, Long::sum));
        assertThat(actions).containsEntry("operator:alice UNWRAP_DEK SUCCESS", 1L).containsEntry("operator:alice DLQ_READ SUCCESS", 1L)
                .containsEntry("ingest GENERATE_DEK SUCCESS", 1L);
    }

    @Test
    @Order(10)
    void dlqReplaySendsTheCorrectedRecordWhichIngestThenAccepts() throws Exception {
        String position = deadLetterPosition();
        Path corrected = dir.resolve("corrected.json");
        Files.writeString(corrected, "{\"before\":null,\"after\":{\"id\":999,\"notes\":\"fixed\"},\"op\":\"c\","
                + "\"source\":{\"schema\":\"public\",\"table\":\"orders\"},\"ts_ms\":1}");
        Run replay = run("dlq", "replay", "--config", sandbox.configFile().toString(), "--record", position,
                "--value-file", corrected.toString(), "--principal", "bob");
        assertThat(replay.code).as(replay.err).isZero();
        assertThat(replay.out).startsWith("replayed " + position + " as cdc.acme.public.orders/");

        var config = sandbox.config();
        try (var ingest = IngestService.start(config.ingest(), config.kafka().clientProperties(),
                Path.of(config.dataDir(), "streams-replay"))) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> replayedChange(position) != null);
        }
        ChangeEvent e = replayedChange(position);
        assertThat(e.getTenant()).isEqualTo("acme");
        assertThat(e.getAfter()).contains("fixed");
        assertThat(e.getKey()).isEqualTo("{\"id\":999}");
    }

    @Test
    @Order(11)
    void dlqNamesABadOrUnknownRecordPosition() {
        Run malformed = run("dlq", "show", "--config", sandbox.configFile().toString(), "--record", "nope");
        assertThat(malformed.code).isEqualTo(2);
        assertThat(malformed.err).contains("--record must be TOPIC/PARTITION/OFFSET, got 'nope'");
        Run unknown = run("dlq", "replay", "--config", sandbox.configFile().toString(), "--record", "cdc.acme.public.orders/0/99999");
        assertThat(unknown.code).isEqualTo(2);
        assertThat(unknown.err).contains("--record cdc.acme.public.orders/0/99999: no dead letter for that position");
    }

    private static ChangeEvent replayedChange(String position) {
        List<ChangeEvent> found = new ArrayList<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.CHANGES, r -> {
            if (r.value().getHeaders().stream().anyMatch(h -> h.getKey().equals("strongroom-replay-of")
                    && StandardCharsets.UTF_8.decode(h.getValue().duplicate()).toString().equals(position))) {
                found.add(ChangeEvents.withText(r.value()));
            }
        });
        return found.isEmpty() ? null : found.get(0);
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ConsoleCapture.Captured c = ConsoleCapture.run(() -> SandboxMain.commandLine().execute(args));
        return new Run(c.code(), c.out(), c.err());
    }
}
