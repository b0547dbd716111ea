package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditRecord;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
            try (CoordinatorService coordinator = CoordinatorService.startIdle(io.strongroom.cli.config.ConfigLoader.load(pinned,
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
                    .containsPattern("s3://" + Sandbox.BUCKET + "/demo/_audit/checkpoints/[0-9]+\\.json \\(signed [^)]+\\): emitter "
                            + "\\S+ sequence [0-9]+ \\(was at strongroom\\.audit/[0-9]+/[0-9]+\\) (is no longer in the audit trail"
                            + "|has another hash now)");

            // a checkpoint signed by another key (someone with bucket access, but not the KMS) does not verify
            try (var kms = KmsFactory.create(sandbox.config(), "attacker"); S3Client s3 = sandbox.config().s3().client()) {
                byte[] otherKey = AuditCheckpoints.newSigningKey(kms, "demo", Duration.ofSeconds(10));
                byte[] fake = AuditCheckpoints.sign(AuditCheckpoints.heads("demo", List.of(), java.time.Instant.now()),
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
            io.strongroom.testkit.Dirs.deleteRecursively(dir);
        }
    }
}
