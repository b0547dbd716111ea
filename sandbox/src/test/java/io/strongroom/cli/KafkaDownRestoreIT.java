package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.audit.FileAuditTrail;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Disaster recovery: Kafka is gone; a restore from S3 (manifests) and the KMS alone returns every event, audited locally. */
class KafkaDownRestoreIT {

    @Test
    void withKafkaStoppedARestoreFromTheManifestsReturnsEveryEventAndItsKeyUseIsAuditedToAFile() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-kafka-down-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            Demo.Result demo = Demo.run(sandbox, new Demo.Options(800, 2, 11, Duration.ofMinutes(3)), System.out);
            assertThat(demo.ok()).isTrue();
            String config = sandbox.configFile().toString();
            Path withKafka = dir.resolve("with-kafka.jsonl");
            PipelineIT.Run before = PipelineIT.run("restore", "--config", config, "--tenant", "acme", "--to-target", "jsonl:" + withKafka);
            assertThat(before.code()).as(before.err()).isZero();
            List<String> expected = Files.readAllLines(withKafka);
            assertThat(expected).hasSizeGreaterThan(100);

            sandbox.kafka().close(); // Kafka is gone from here on
            Path audit = dir.resolve("restore-audit.log");
            Path withoutKafka = dir.resolve("without-kafka.jsonl");
            PipelineIT.Run dr = PipelineIT.run("restore", "--config", config, "--tenant", "acme", "--to-target",
                    "jsonl:" + withoutKafka, "--audit-file", audit.toString());
            assertThat(dr.code()).as(dr.err()).isZero();
            assertThat(Files.readAllLines(withoutKafka)).isEqualTo(expected);

            List<AuditEvent> events = FileAuditTrail.read(audit);
            long segments;
            try (S3Client s3 = sandbox.config().s3().client()) {
                segments = s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents().stream()
                        .filter(o -> o.key().endsWith(".srseg")).count();
            }
            assertThat(events).filteredOn(e -> e.getAction() == AuditAction.UNWRAP_DEK).hasSize((int) segments)
                    .allMatch(e -> e.getPrincipal().equals("restore") && "acme".equals(e.getTenant()));
            PipelineIT.Run verify = PipelineIT.run("audit", "verify", "--config", config, "--file", audit.toString());
            assertThat(verify.code()).as(verify.out()).isZero();
            assertThat(verify.out()).contains("audit trail intact");

            // The newest segment of a chain is deleted: no successor names it, but the manifests do.
            String victim;
            try (S3Client s3 = sandbox.config().s3().client()) {
                victim = s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents().stream()
                        .map(S3Object::key).filter(k -> k.endsWith(".srseg")).filter(k -> k.contains("/p0/"))
                        .max(Comparator.naturalOrder()).orElseThrow();
                s3.deleteObject(b -> b.bucket(Sandbox.BUCKET).key(victim));
            }
            PipelineIT.Run damaged = PipelineIT.run("restore", "--config", config, "--tenant", "acme", "--dry-run",
                    "--audit-file", audit.toString());
            assertThat(damaged.code()).isEqualTo(1);
            assertThat(damaged.err()).contains(victim).contains("is in the manifests but missing from the bucket");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
