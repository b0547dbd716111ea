package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The coordinator test-restores on a schedule and after every rotation; verify samples and slices by day. */
class ScheduledVerifyIT {

    @Test
    void theCoordinatorVerifiesOnScheduleAndAfterRotationsAndVerifyCanSampleAndSlice() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-scheduled-verify-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(1500, 1, 31, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + """
                    coordinator:
                      tenants: [acme]
                      check-interval: PT1S
                      policy:
                        rotation-period: PT4S
                      verify-interval: PT2S
                    """);
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            try (CoordinatorService coordinator = Coordinators.start(config)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    List<AuditEvent> audit = new ArrayList<>();
                    TopicReader.readToEnd(config.kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
                    long rotations = audit.stream().filter(e -> e.getAction() == AuditAction.ROTATE_KEY).count();
                    long verifications = audit.stream().filter(e -> e.getAction() == AuditAction.VERIFY
                            && e.getPrincipal().equals("verify")).count();
                    return rotations >= 1 && verifications >= 3;
                });
                assertThat(coordinator.lastVerification("acme")).as("the scheduled verification of acme")
                        .hasValueSatisfying(last -> assertThat(last.ok()).as("it passed").isTrue());
            }
            ObjectMapper json = new ObjectMapper();
            PipelineIT.Run sampled = PipelineIT.run("verify", "--config", cfg.toString(), "--tenant", "acme", "--sample", "0.5");
            assertThat(sampled.code()).as(sampled.err()).isZero();
            JsonNode report = json.readTree(sampled.out());
            assertThat(report.get("sample").asDouble()).isEqualTo(0.5);
            PipelineIT.Run full = PipelineIT.run("verify", "--config", cfg.toString(), "--tenant", "acme");
            assertThat(json.readTree(full.out()).get("segments").asInt()).isGreaterThanOrEqualTo(report.get("segments").asInt());
            PipelineIT.Run future = PipelineIT.run("verify", "--config", cfg.toString(), "--since", "2099-01-01");
            assertThat(future.code()).isZero();
            assertThat(json.readTree(future.out()).get("segments").asInt()).isZero();
            PipelineIT.Run bad = PipelineIT.run("verify", "--config", cfg.toString(), "--sample", "2");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("--sample must be in (0, 1], got 2.0");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
