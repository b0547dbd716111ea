package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.Principals;
import io.strongroom.crypto.audit.AuditRecord;
import io.strongroom.crypto.audit.HashChain;
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
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Signed audit chains on a real broker, as the attacker: a principal with Write on
 * {@code strongroom.audit} appends events naming an admin principal, to keep it from being
 * revoked by the access review. With {@code identity.trust-file} the review does not count them and
 * {@code audit verify} names the forged chain; the coordinator's own signed events count.
 */
class SignedAuditIT {
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
    void eventsForgedInAnAdminsNameDoNotKeepItActiveAndAreNamedByAuditVerify() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-signed-audit-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            // the sandbox gives every role an identity and trusts them all (identity.directory, identity.trust-file)
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + """
                    coordinator:
                      tenants: [acme]
                      admin-port: 0
                      access-inactive-after: PT1H
                      principals:
                        carol: {roles: [OPERATOR], token-sha256: %s}
                        erin: {roles: [AUDITOR], token-sha256: %s}
                    audit:
                      sign-every: PT0.2S
                    """.formatted(sha(TestSecrets.token("carol")), sha(TestSecrets.token("erin"))));
            var config = ConfigLoader.load(cfg, Map.of());
            Path state = Path.of(config.dataDir(), "coordinator", "access.json");
            Files.createDirectories(state.getParent());
            long twoHoursAgo = Instant.now().minus(Duration.ofHours(2)).toEpochMilli();
            Files.writeString(state, "{\"firstSeenMs\": {\"carol\": " + twoHoursAgo + ", \"erin\": " + twoHoursAgo
                    + "}, \"revoked\": {}}");

            try (CoordinatorService coordinator = Coordinators.start(config)) {
                int port = coordinator.adminPort();
                // the attacker (the coordinator made the topics): an unsigned chain of its own, named like the coordinator's, naming erin
                HashChain forged = new HashChain("coordinator-0badc0de");
                try (var producer = new KafkaProducer<>(config.kafka().clientProperties(), new StringSerializer(),
                        new ByteArraySerializer())) {
                    for (int i = 0; i < 2; i++) {
                        producer.send(new ProducerRecord<>(Topics.AUDIT.name(), forged.emitter(), forged.append(new AuditRecord("erin",
                                AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null, null, "GET /v1/keys"),
                                System.currentTimeMillis()).bytes())).get();
                    }
                    // and a test restore that never ran, as evidence for the compliance report
                    producer.send(new ProducerRecord<>(Topics.AUDIT.name(), forged.emitter(), forged.append(new AuditRecord("restore",
                            AuditAction.VERIFY, AuditOutcome.SUCCESS, "acme", null, null, null, "verified 100 segments"),
                            System.currentTimeMillis()).bytes())).get();
                }

                assertThat(keys(port, "carol")).isEqualTo(200);

                // carol's call counts once the coordinator's next signed head covers it (sign-every: PT0.2S)
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    PipelineIT.Run review = PipelineIT.run("access", "review", "--config", cfg.toString());
                    assertThat(review.code()).as(review.err()).isZero();
                    assertThat(review.out()).containsPattern("carol +\\[OPERATOR\\] +20[0-9-]+T[^ ]+ +active")
                            .containsPattern("erin +\\[AUDITOR\\] +none +INACTIVE since ");
                });
                assertThat(coordinator.reviewAccess()).as("the coordinator's own review ignores the forgery too")
                        .containsExactly("erin");

                PipelineIT.Run verify = PipelineIT.run("audit", "verify", "--config", cfg.toString(), "--no-checkpoints");
                assertThat(verify.code()).as(verify.out() + verify.err()).isEqualTo(1);
                assertThat(verify.out()).contains("problem: strongroom.audit/")
                        .contains("(emitter coordinator-0badc0de): unsigned chain")
                        .contains("3 event(s) naming [erin, restore] are not authentic")
                        .contains("authentic (signed by the principal they name)");
                assertThat(verify.out().lines().filter(l -> l.startsWith("problem:")))
                        .as("the coordinator's signed chain is intact: the forgery is the only problem").hasSize(1);

                Path json = dir.resolve("report.json");
                PipelineIT.Run report = PipelineIT.run("report", "--config", cfg.toString(), "--tenant", "acme", "--json",
                        json.toString());
                assertThat(report.code()).as(report.out() + report.err()).isEqualTo(1); // the trail shows a forgery
                var tree = new ObjectMapper().readTree(json.toFile());
                assertThat(tree.path("verifications")).as("the forged verification is not evidence").isEmpty();
                assertThat(tree.path("auditTrail").path("status").asText()).isEqualTo("DAMAGED");
                assertThat(tree.path("auditTrail").path("problems").toString()).contains("(emitter coordinator-0badc0de): unsigned chain");
                assertThat(tree.path("auditTrail").path("authenticEvents").asInt()).isPositive();
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
