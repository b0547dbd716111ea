package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.Principals;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.TestSecrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The access review on a running coordinator: an admin principal inactive beyond the policy period is revoked (audited),
 * its token stops working at once (each refusal audited), an active one keeps working, and a reinstatement restores it.
 */
class AccessReviewIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static int keys(int port, String who) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/keys"))
                .header("Authorization", "Bearer " + who + ":" + TestSecrets.token(who)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String sha(String token) {
        return HexFormat.of().formatHex(Principals.sha256(token));
    }

    @Test
    void anInactivePrincipalIsRevokedAndAuditedAndAReinstatedOneWorksAgain() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-access-review-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + """
                    coordinator:
                      tenants: [acme]
                      admin-port: 0
                      access-inactive-after: PT1H
                      principals:
                        carol: {roles: [OPERATOR], token-sha256: %s}
                        erin: {roles: [AUDITOR], token-sha256: %s}
                    """.formatted(sha(TestSecrets.token("carol")), sha(TestSecrets.token("erin"))));
            var config = ConfigLoader.load(cfg, Map.of());
            // a review first saw both two hours ago (longer than the period); erin has not used the API since
            Path state = Path.of(config.dataDir(), "coordinator", "access.json");
            Files.createDirectories(state.getParent());
            long twoHoursAgo = Instant.now().minus(Duration.ofHours(2)).toEpochMilli();
            Files.writeString(state, "{\"firstSeenMs\": {\"carol\": " + twoHoursAgo + ", \"erin\": " + twoHoursAgo
                    + "}, \"revoked\": {}}");
            try (CoordinatorService coordinator = Coordinators.start(config)) {
                int port = coordinator.adminPort();
                assertThat(keys(port, "carol")).isEqualTo(200); // carol is active

                // carol's call reaches the audit topic asynchronously: the review sees it once it is there
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    PipelineIT.Run dry = PipelineIT.run("access", "review", "--config", cfg.toString());
                    assertThat(dry.code()).as(dry.err()).isZero();
                    assertThat(dry.out()).containsPattern("carol +\\[OPERATOR\\] +20[0-9-]+T[^ ]+ +active")
                            .containsPattern("erin +\\[AUDITOR\\] +none +INACTIVE since ");
                });

                assertThat(coordinator.reviewAccess()).as("the coordinator's scheduled review").containsExactly("erin");
                assertThat(keys(port, "erin")).as("revoked: the token no longer works").isEqualTo(401);
                assertThat(keys(port, "carol")).isEqualTo(200);
                PipelineIT.Run again = PipelineIT.run("access", "review", "--config", cfg.toString(), "--apply", "--principal", "sec");
                assertThat(again.out()).contains("erin").contains("REVOKED at").contains("nothing to revoke");

                List<AuditEvent> audit = new ArrayList<>();
                TopicReader.readToEnd(config.kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
                assertThat(audit).anyMatch(e -> e.getPrincipal().equals("coordinator") && e.getDetail() != null
                        && e.getDetail().startsWith("ACCESS_REVOKED erin: inactive since"));
                assertThat(audit).anyMatch(e -> e.getPrincipal().equals("erin") && e.getAction() == AuditAction.ACCESS_DENIED
                        && e.getDetail().endsWith("revoked by access review"));

                PipelineIT.Run reinstate = PipelineIT.run("access", "reinstate", "--config", cfg.toString(), "--name", "erin",
                        "--principal", "sec");
                assertThat(reinstate.code()).as(reinstate.err()).isZero();
                assertThat(keys(port, "erin")).isEqualTo(200);
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
