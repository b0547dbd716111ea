package io.strongroom.cli;


import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** Retention by classification and legal hold: prune deletes only what has expired and is not held, audited. */
class ArchiveRetentionIT {

    private static long segments(Sandbox sandbox, String tenant) {
        try (S3Client s3 = sandbox.config().s3().client()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/" + tenant + "/")).contents().stream()
                    .filter(o -> o.key().endsWith(".srseg")).count();
        }
    }

    @Test
    void pruneDeletesExpiredSegmentsExceptUnderLegalHoldAndRestoreKnowsTheyAreGoneOnPurpose() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-retention-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(600, 2, 5, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            // every demo event is CONFIDENTIAL (the default classification); keep those for a millisecond
            Path config = dir.resolve("retention.yaml");
            Files.writeString(config, Files.readString(sandbox.configFile()).replace("encryptor:",
                    "archiver:\n  retention:\n    CONFIDENTIAL: PT0.001S\n    RESTRICTED: P3650D\nencryptor:"));
            String cfg = config.toString();
            long acme = segments(sandbox, "acme");
            long globex = segments(sandbox, "globex");
            assertThat(acme).isPositive();
            assertThat(globex).isPositive();

            PipelineIT.Run hold = PipelineIT.run("archive", "hold", "--config", cfg, "--tenant", "acme", "--reason", "case 42",
                    "--principal", "alice");
            assertThat(hold.code()).as(hold.err()).isZero();
            Matcher id = Pattern.compile("hold ([0-9a-f-]{36}) placed").matcher(hold.out());
            assertThat(id.find()).isTrue();
            PipelineIT.Run holds = PipelineIT.run("archive", "holds", "--config", cfg);
            assertThat(holds.out()).contains(id.group(1)).contains("case 42").contains("operator:alice").contains("1 legal holds");

            PipelineIT.Run dry = PipelineIT.run("archive", "prune", "--config", cfg, "--dry-run");
            assertThat(dry.code()).as(dry.err()).isZero();
            assertThat(dry.out()).contains("would prune " + globex + " of " + globex + " segments")
                    .contains("kept (legal hold): tenant acme");
            assertThat(segments(sandbox, "globex")).as("dry run deletes nothing").isEqualTo(globex);

            PipelineIT.Run prune = PipelineIT.run("archive", "prune", "--config", cfg, "--principal", "bob");
            assertThat(prune.code()).as(prune.err()).isZero();
            assertThat(segments(sandbox, "globex")).isZero();
            assertThat(segments(sandbox, "acme")).as("held").isEqualTo(acme);
            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).filteredOn(e -> e.getAction() == AuditAction.PRUNE).hasSize((int) globex)
                    .allMatch(e -> e.getPrincipal().equals("operator:bob") && "globex".equals(e.getTenant()));
            assertThat(audit).anyMatch(e -> e.getPrincipal().equals("operator:alice") && e.getDetail().contains("legal hold"));

            PipelineIT.Run restored = PipelineIT.run("restore", "--config", cfg, "--tenant", "globex", "--dry-run");
            assertThat(restored.code()).as("pruned on purpose is not a loss: " + restored.err()).isZero();
            assertThat(restored.out()).contains("verified 0 events from 0 segments");

            PipelineIT.Run release = PipelineIT.run("archive", "release", "--config", cfg, "--tenant", "acme", "--hold", id.group(1));
            assertThat(release.code()).as(release.err()).isZero();
            assertThat(PipelineIT.run("archive", "prune", "--config", cfg, "--tenant", "acme").code()).isZero();
            assertThat(segments(sandbox, "acme")).isZero();
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
