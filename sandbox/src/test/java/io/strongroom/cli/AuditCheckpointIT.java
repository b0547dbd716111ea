package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.internal.TopicProvisioner;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditRecord;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Signed audit checkpoints: a rewritten audit topic whose hash chains are all valid again is caught by
 * {@code audit verify} against the checkpoints in S3; a forged checkpoint is caught by the pinned public key.
 */
class AuditCheckpointIT {

    @Test
    void aRewrittenAuditTopicIsDetectedThroughTheSignedCheckpointsAndAForgedCheckpointIsRejected() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-audit-checkpoint-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(200, 2, 41, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String unpinned = sandbox.configFile().toString();
            PipelineIT.Run none = PipelineIT.run("audit", "verify", "--config", unpinned);
            assertThat(none.code()).as(none.out() + none.err()).isZero();
            assertThat(none.out()).contains("no signed checkpoints yet");

            Path pub = dir.resolve("audit-public.json");
            PipelineIT.Run init = PipelineIT.run("audit", "init-key", "--config", unpinned, "--public-key-out", pub.toString(),
                    "--principal", "sec");
            assertThat(init.code()).as(init.err()).isZero();
            assertThat(init.out()).contains("new audit signing key");
            assertThat(Files.readString(pub)).contains("Ed25519PublicKey").doesNotContain("Ed25519PrivateKey");
            Path pinned = dir.resolve("pinned.yaml");
            Files.writeString(pinned, Files.readString(sandbox.configFile()) + "\naudit:\n  public-key-file: " + pub + "\n");
            String cfg = pinned.toString();

            // the coordinator signs the heads (reading the topic incrementally); the CLI can too
            try (CoordinatorService coordinator = Coordinators.idle(ConfigLoader.load(pinned,
                    System.getenv()))) {
                assertThat(coordinator.checkpointAudit()).startsWith("s3://" + Sandbox.BUCKET + "/demo/_audit/checkpoints/");
            }
            PipelineIT.Run cp = PipelineIT.run("audit", "checkpoint", "--config", cfg, "--principal", "sec");
            assertThat(cp.code()).as(cp.err()).isZero();
            PipelineIT.Run ok = PipelineIT.run("audit", "verify", "--config", cfg);
            assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
            assertThat(ok.out()).contains("audit trail intact").contains("checked against 2 signed checkpoints");
            assertThat(ok.err()).doesNotContain("warning");
            PipelineIT.Run weak = PipelineIT.run("audit", "verify", "--config", unpinned);
            assertThat(weak.err()).contains("warning: audit.public-key-file is not set");

            // rewrite the topic: each emitter's chain re-made with valid hashes, one event short
            List<AuditEvent> events = new ArrayList<>();
            TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> events.add(r.value()));
            Map<String, Integer> perEmitter = new LinkedHashMap<>();
            events.forEach(e -> perEmitter.merge(e.getEmitter(), 1, Integer::sum));
            List<AuditEvent> forged = new ArrayList<>();
            perEmitter.forEach((emitter, n) -> {
                InMemoryAuditTrail trail = new InMemoryAuditTrail(emitter);
                for (int i = 0; i < n - 1; i++) {
                    trail.record(new AuditRecord("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, "acme", "local://acme",
                            "1", "innocent-" + i, null));
                }
                forged.addAll(trail.events());
            });
            sandbox.kafka().createTopics(1, "audit-rewritten");
            try (var producer = new KafkaProducer<>(sandbox.config().kafka().clientProperties(), Topics.AUDIT.keySerde().serializer(),
                    Topics.AUDIT.valueSerde().serializer())) {
                forged.forEach(e -> producer.send(new ProducerRecord<>("audit-rewritten", e.getEmitter(), e)));
            }
            PipelineIT.Run chainsOnly = PipelineIT.run("audit", "verify", "--config", cfg, "--topic", "audit-rewritten",
                    "--no-checkpoints");
            // the hash chains alone cannot tell; the emitters' signatures can: the fresh chains are unsigned
            assertThat(chainsOnly.code()).as(chainsOnly.out()).isEqualTo(1);
            assertThat(chainsOnly.out()).contains("unsigned chain: not opened by a head signed with a trusted key");
            PipelineIT.Run rewritten = PipelineIT.run("audit", "verify", "--config", cfg, "--topic", "audit-rewritten");
            assertThat(rewritten.code()).isEqualTo(1);
            assertThat(rewritten.out()).contains("audit trail DAMAGED").contains("signed checkpoints")
                    .containsPattern("s3://" + Sandbox.BUCKET + "/demo/_audit/checkpoints/s[0-9]{20}\\.json \\(signed [^)]+\\): emitter "
                            + "\\S+ sequence [0-9]+ \\(was at strongroom\\.audit/[0-9]+/[0-9]+\\) (is no longer in the audit trail"
                            + "|has another hash now)");

            // a checkpoint signed by another key (someone with bucket access, but not the KMS) does not verify
            try (var kms = KmsFactory.create(sandbox.config(), "attacker"); S3Client s3 = sandbox.config().s3().client()) {
                byte[] otherKey = AuditCheckpoints.newSigningKey(kms, "demo", Duration.ofSeconds(10));
                byte[] fake = AuditCheckpoints.sign(AuditCheckpoints.heads("demo", List.of(), Instant.now()),
                        AuditCheckpoints.signer("other", otherKey, kms, "demo", Duration.ofSeconds(10)));
                s3.putObject(b -> b.bucket(Sandbox.BUCKET).key("demo/_audit/checkpoints/99999999999999999999.json"),
                        RequestBody.fromBytes(fake));
            }
            PipelineIT.Run forgedCheckpoint = PipelineIT.run("audit", "verify", "--config", cfg);
            assertThat(forgedCheckpoint.code()).isEqualTo(1);
            assertThat(forgedCheckpoint.out()).contains("demo/_audit/checkpoints/99999999999999999999.json: the signature does not "
                    + "verify with the pinned public key");

            // every use of the signing key is a KMS unwrap, audited under the caller's name
            List<AuditEvent> after = new ArrayList<>();
            TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> after.add(r.value()));
            assertThat(after).anyMatch(e -> e.getAction() == AuditAction.UNWRAP_DEK && e.getPrincipal().equals("operator:sec")
                    && AuditCheckpoints.KEY_TENANT.equals(e.getTenant()));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static final String CHECKPOINTS = "demo/_audit/checkpoints/";

    private static String named(long sequence) {
        return CHECKPOINTS + String.format("s%020d", sequence) + ".json";
    }

    private static byte[] get(S3Client s3, String key) {
        return s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(key)).asByteArray();
    }

    private static void put(S3Client s3, String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(key), RequestBody.fromBytes(bytes));
    }

    private static void delete(S3Client s3, String key) {
        s3.deleteObject(b -> b.bucket(Sandbox.BUCKET).key(key));
    }

    private static PipelineIT.Run verify(Path cfg) {
        return PipelineIT.run("audit", "verify", "--config", cfg.toString());
    }

    @Test
    void theCheckpointsFormAChainThatNamesAGapAReplacedCheckpointAndAStaleNewestOne() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-audit-chain-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S"); S3Client s3 = sandbox.config().s3().client()) {
            try (var admin = sandbox.kafka().admin()) { // the topics the coordinator would create, so the CLI can run first
                TopicProvisioner.ensureTopics(admin, sandbox.config().kafka().partitions(),
                        sandbox.config().kafka().replication(), sandbox.config().encryptor().segmentMaxBytes());
            }
            Path pub = dir.resolve("audit-public.json");
            PipelineIT.Run init = PipelineIT.run("audit", "init-key", "--config", sandbox.configFile().toString(),
                    "--public-key-out", pub.toString(), "--principal", "sec");
            assertThat(init.code()).as(init.err()).isZero();
            Path cfg = dir.resolve("pinned.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + "\naudit:\n  public-key-file: " + pub + "\n");
            var c = ConfigLoader.load(cfg, Map.of());

            // a checkpoint written before the chain: format 1, named by its creation time, no link
            byte[] signingKey = get(s3, "demo/_audit/signing-key.json");
            AuditCheckpoints.Keys keys;
            try (var kms = KmsFactory.create(c, "operator:sec")) { // as the CLI would: audited, signed by the operator identity
                keys = AuditCheckpoints.keys("signing key", signingKey, kms, "demo", Duration.ofSeconds(10));
            }
            long legacyAt = System.currentTimeMillis() - 60_000;
            String v1 = "{\"formatVersion\":1,\"environment\":\"demo\",\"createdAtMs\":" + legacyAt
                    + ",\"events\":0,\"heads\":[]}";
            put(s3, CHECKPOINTS + String.format("%020d", legacyAt) + ".json", new ObjectMapper()
                    .writeValueAsBytes(new AuditCheckpoints.Signed(v1, Base64.getEncoder().encodeToString(
                            keys.signer().sign(v1.getBytes(StandardCharsets.UTF_8))))));

            // the CLI starts the chain after it; a restarted coordinator continues it from the newest in the store
            for (int i = 0; i < 3; i++) {
                PipelineIT.Run cp = PipelineIT.run("audit", "checkpoint", "--config", cfg.toString(), "--principal", "sec");
                assertThat(cp.code()).as(cp.err()).isZero();
                assertThat(cp.out()).contains(named(i)).contains("(checkpoint " + i + " of the chain)");
            }
            try (CoordinatorService coordinator = Coordinators.idle(c)) {
                assertThat(coordinator.checkpointAudit()).isEqualTo("s3://" + Sandbox.BUCKET + "/" + named(3));
                PipelineIT.Run intact = verify(cfg);
                assertThat(intact.code()).as(intact.out() + intact.err()).isZero();
                assertThat(intact.out()).doesNotContain("problem").contains("checked against 5 signed checkpoints (the newest ");

                // deleted behind the coordinator's back: it links past it (not writing it again), so it is a gap
                byte[] third = get(s3, named(3));
                delete(s3, named(3));
                assertThat(coordinator.checkpointAudit()).endsWith(named(4));
                PipelineIT.Run gap = verify(cfg);
                assertThat(gap.code()).as(gap.out()).isEqualTo(1);
                assertThat(gap.out()).contains("problem: s3://" + Sandbox.BUCKET + "/" + named(3) + ": audit checkpoint 3 missing "
                        + "between s3://" + Sandbox.BUCKET + "/" + named(2) + " (sequence 2) and s3://" + Sandbox.BUCKET + "/"
                        + named(4) + " (sequence 4)").contains("deleted").contains("audit trail DAMAGED");
                put(s3, named(3), third);
            }
            assertThat(verify(cfg).code()).as("the chain whole again").isZero();

            // replaced by another checkpoint validly signed with the same key (whoever can use the KMS key and the bucket)
            byte[] first = get(s3, named(1));
            AuditCheckpoints.Stored zero = AuditCheckpoints.read("s0", get(s3, named(0)), keys.verifier());
            put(s3, named(1), AuditCheckpoints.sign(new AuditCheckpoints.Body(AuditCheckpoints.FORMAT_VERSION, "demo", 1L,
                    System.currentTimeMillis(), 0, zero.sha256(), List.of()), keys.signer()));
            PipelineIT.Run replaced = verify(cfg);
            assertThat(replaced.code()).as(replaced.out()).isEqualTo(1);
            assertThat(replaced.out()).contains("problem: s3://" + Sandbox.BUCKET + "/" + named(1) + " (sequence 1): replaced: "
                    + "its SHA-256 is ").contains("but s3://" + Sandbox.BUCKET + "/" + named(2) + ", the checkpoint after it, "
                    + "was written after one with SHA-256 ");
            put(s3, named(1), first);

            // the newest ones deleted (the anchor rolled back): the chain is whole, but its newest one only ages
            delete(s3, named(4));
            delete(s3, named(3));
            assertThat(verify(cfg).code()).as("younger than 3 x PT5M").isZero();
            Path quick = dir.resolve("quick.yaml");
            Files.writeString(quick, Files.readString(cfg) + "  checkpoint-interval: PT1S\n  stale-after-intervals: 2\n");
            PipelineIT.Run[] stale = new PipelineIT.Run[1];
            Awaitility.await("audit verify calling the newest remaining checkpoint stale").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> (stale[0] = verify(quick)).code() == 1);
            assertThat(stale[0].out()).containsPattern("problem: s3://" + Sandbox.BUCKET + "/" + named(2) + ": the newest audit "
                    + "checkpoint is [0-9]+s old \\(signed [^)]+\\), more than the 2s allowed \\(audit.stale-after-intervals 2 x "
                    + "audit.checkpoint-interval PT1S\\): newer ones deleted, or the coordinator stopped signing")
                    .contains(", 1 problems");
            Path json = dir.resolve("report.json");
            Path html = dir.resolve("report.html");
            PipelineIT.Run report = PipelineIT.run("report", "--config", quick.toString(), "--tenant", "acme", "--json",
                    json.toString(), "--html", html.toString(), "--principal", "sec");
            assertThat(report.code()).as(report.err()).isEqualTo(1);
            var trail = new ObjectMapper().readTree(json.toFile()).path("auditTrail");
            assertThat(trail.path("signedCheckpoints").asInt()).isEqualTo(4);
            assertThat(trail.path("newestCheckpoint").path("object").asText()).isEqualTo("s3://" + Sandbox.BUCKET + "/" + named(2));
            assertThat(trail.path("newestCheckpoint").path("ageSeconds").asLong()).isGreaterThanOrEqualTo(2);
            assertThat(trail.path("newestCheckpoint").path("maxAgeSeconds").asLong()).isEqualTo(2);
            assertThat(trail.path("checkpointProblems")).singleElement().extracting(JsonNode::asText)
                    .asString().contains("the newest audit checkpoint is");
            assertThat(Files.readString(html)).contains("the newest, s3://" + Sandbox.BUCKET + "/" + named(2))
                    .contains("(at most 2 s allowed)").contains("<p>Signed checkpoints:</p>");

            // and none at all, while the key exists and the trail is older than that
            for (long i = 0; i < 3; i++) {
                delete(s3, named(i));
            }
            delete(s3, CHECKPOINTS + String.format("%020d", legacyAt) + ".json");
            PipelineIT.Run none = verify(quick);
            assertThat(none.code()).as(none.out()).isEqualTo(1);
            assertThat(none.out()).contains("problem: s3://" + Sandbox.BUCKET + "/" + CHECKPOINTS + ": no signed audit checkpoint, "
                    + "though the audit key exists and the trail has events since ").contains("longer ago than the 2s allowed");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
