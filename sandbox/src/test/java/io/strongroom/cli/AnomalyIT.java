package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.anomaly.AnomalyService;
import io.strongroom.avro.Alert;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** The anomaly detector on a real broker: an access denial and an unwrap by an unexpected principal raise alerts. */
class AnomalyIT {

    private static List<Alert> alerts(Sandbox sandbox) {
        List<Alert> out = new ArrayList<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.ALERTS, r -> out.add(r.value()));
        return out;
    }

    @Test
    void anAccessDenialInTheAuditTopicRaisesAnAlertWithItsEvidence() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-anomaly-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(100, 1, 43, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            sandbox.kafka().createTopics(1, Topics.ALERTS.name());
            try (AnomalyService detector = AnomalyService.start(AnomalyConfig.defaults(), sandbox.config().kafka().clientProperties(),
                    dir.resolve("anomaly-state"))) {
                assertThat(PipelineIT.run("keys", "rotate", "--config", cfg, "--tenant", "acme", "--principal", "ops").code()).isZero();
                PipelineIT.Run refused = PipelineIT.run("keys", "disable", "--config", cfg, "--tenant", "acme", "--version", "1",
                        "--principal", "mallory");
                assertThat(refused.code()).isEqualTo(1);
                List<AuditEvent> audit = new ArrayList<>();
                TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
                AuditEvent denial = audit.stream().filter(e -> e.getOutcome() == AuditOutcome.DENIED
                        && e.getPrincipal().equals("operator:mallory")).findFirst().orElseThrow();
                assertThat(denial.getAction()).isEqualTo(AuditAction.DISABLE_KEY);

                // someone outside the expected principals unwraps an archived segment's data key
                try (var kms = KmsFactory.create(sandbox.config(), "exporter"); S3Client s3 = sandbox.config().s3().client()) {
                    String key = s3.listObjectsV2(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents().stream()
                            .map(o -> o.key()).filter(k -> k.endsWith(".srseg")).findFirst().orElseThrow();
                    byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(key)).asByteArray();
                    assertThat(new SegmentOpener(kms, Duration.ofSeconds(10)).open(key, Segment.parse(key, bytes))).isNotEmpty();
                }

                await().atMost(Duration.ofSeconds(60)).until(() -> alerts(sandbox).size() >= 2);
                List<Alert> alerts = alerts(sandbox);
                assertThat(alerts).anySatisfy(a -> {
                    assertThat(a.getRule()).isEqualTo("access-denied");
                    assertThat(a.getPrincipal()).isEqualTo("operator:mallory");
                    assertThat(a.getAlertId()).isEqualTo(denial.getEventId() + ":access-denied");
                    assertThat(a.getEvidence()).singleElement().asString().contains(denial.getEventId()).contains("DISABLE_KEY DENIED");
                });
                assertThat(alerts).anySatisfy(a -> {
                    assertThat(a.getRule()).isEqualTo("unexpected-unwrapper");
                    assertThat(a.getPrincipal()).isEqualTo("exporter");
                    assertThat(a.getTenant()).isEqualTo("acme");
                });
                assertThat(alerts).as("the demo's own restore and verify are expected").noneMatch(a -> a.getPrincipal().equals("restore")
                        || a.getPrincipal().equals("verify") || a.getPrincipal().equals("encryptor"));
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
