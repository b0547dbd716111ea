package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.Principals;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.TestSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Crypto-shredding under dual control, through the coordinator's admin API and the CLI. */
class DualControlIT {
    private static final String ALICE = TestSecrets.ALICE_TOTP;
    private static final String BOB = TestSecrets.BOB_TOTP;

    private static String sha(String token) {
        return HexFormat.of().formatHex(Principals.sha256(token));
    }

    @Test
    void shreddingNeedsTwoSecurityOfficersWithValidCodesThenWaitsAndLeavesOtherTenantsAlone() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-dual-control-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(600, 2, 21, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            Files.writeString(dir.resolve("alice.totp"), ALICE);
            Files.writeString(dir.resolve("bob.totp"), BOB);
            for (String who : List.of("alice", "bob", "carol", "dave")) {
                Files.writeString(dir.resolve(who + ".token"), TestSecrets.token(who));
            }
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + """
                    coordinator:
                      tenants: [acme, globex]
                      check-interval: PT1S
                      policy:
                        destroy-wait: PT2S
                      admin-port: 0
                      principals:
                        alice: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                        bob: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                        carol: {roles: [OPERATOR], token-sha256: %s}
                        dave: {roles: [AUDITOR], token-sha256: %s}
                    """.formatted(sha(TestSecrets.token("alice")), dir.resolve("alice.totp"), sha(TestSecrets.token("bob")), dir.resolve("bob.totp"),
                    sha(TestSecrets.token("carol")), sha(TestSecrets.token("dave"))));
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            try (CoordinatorService coordinator = Coordinators.start(config)) {
                String url = "http://127.0.0.1:" + coordinator.adminPort();
                Function<String, String[]> as = who -> new String[] {"--config", cfg.toString(), "--principal",
                        who, "--token-file", dir.resolve(who + ".token").toString(), "--admin-url", url};

                PipelineIT.Run auditor = PipelineIT.run(concat(new String[] {"keys", "shred-tenant"}, as.apply("dave"),
                        "--tenant", "acme", "--reason", "x"));
                assertThat(auditor.code()).isEqualTo(1);
                assertThat(auditor.err()).contains("dave may not request SHRED_TENANT");

                PipelineIT.Run destroy = PipelineIT.run(concat(new String[] {"keys", "request-destroy"}, as.apply("carol"),
                        "--tenant", "globex", "--version", "1", "--reason", "retired"));
                assertThat(destroy.code()).as(destroy.err()).isZero();
                assertThat(destroy.out()).contains("DESTROY_VERSION of tenant globex");
                PipelineIT.Run listed = PipelineIT.run(concat(new String[] {"keys", "requests"}, as.apply("dave")));
                assertThat(listed.out()).as("an auditor reads requests").contains("DESTROY_VERSION").contains("PENDING");

                PipelineIT.Run request = PipelineIT.run(concat(new String[] {"keys", "shred-tenant"}, as.apply("carol"),
                        "--tenant", "acme", "--reason", "contract ended, customer asked for erasure"));
                assertThat(request.code()).as(request.err()).isZero();
                Matcher m = Pattern.compile("request ([0-9a-f-]{36}) filed").matcher(request.out());
                assertThat(m.find()).isTrue();
                String id = m.group(1);

                PipelineIT.Run wrongCode = PipelineIT.run(concat(new String[] {"keys", "approve"}, as.apply("alice"),
                        "--request", id, "--totp", Principals.code(BOB, Instant.now())));
                assertThat(wrongCode.code()).isEqualTo(1);
                assertThat(wrongCode.err()).contains("wrong, old or reused TOTP code for alice");

                PipelineIT.Run first = PipelineIT.run(concat(new String[] {"keys", "approve"}, as.apply("alice"),
                        "--request", id, "--totp", Principals.code(ALICE, Instant.now())));
                assertThat(first.out()).contains("1 of 2 approvals");
                PipelineIT.Run restoreOneApproval = PipelineIT.run("restore", "--config", cfg.toString(), "--tenant", "acme", "--dry-run");
                assertThat(restoreOneApproval.code()).as("one approval destroys nothing").isZero();

                PipelineIT.Run same = PipelineIT.run(concat(new String[] {"keys", "approve"}, as.apply("alice"),
                        "--request", id, "--totp", Principals.code(ALICE, Instant.now())));
                assertThat(same.code()).isEqualTo(1);
                assertThat(same.err()).contains("alice already approved");

                PipelineIT.Run second = PipelineIT.run(concat(new String[] {"keys", "approve"}, as.apply("bob"),
                        "--request", id, "--totp", Principals.code(BOB, Instant.now())));
                assertThat(second.code()).as(second.err()).isZero();
                assertThat(second.out()).contains("approved by alice and bob").contains("tenant acme shredded");

                try (ManagedKms kms = KmsFactory.create(config, "test")) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> Kmses.await(kms.describe("local://acme"), Duration.ofSeconds(5))
                            .stream().filter(v -> !v.primary()).allMatch(v -> v.state() == KeyState.DESTROYED));
                }
            }
            PipelineIT.Run shredded = PipelineIT.run("restore", "--config", cfg.toString(), "--tenant", "acme", "--dry-run");
            assertThat(shredded.code()).isEqualTo(1);
            assertThat(shredded.err()).contains("key local://acme version 1 was destroyed at");
            PipelineIT.Run other = PipelineIT.run("restore", "--config", cfg.toString(), "--tenant", "globex", "--dry-run");
            assertThat(other.code()).as("other tenants are unaffected: " + other.err()).isZero();

            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(config.kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).extracting(e -> e.getPrincipal() + " " + e.getOutcome() + " " + e.getDetail())
                    .anyMatch(s -> s.startsWith("dave DENIED"))
                    .anyMatch(s -> s.startsWith("alice DENIED") && s.contains("TOTP"))
                    .anyMatch(s -> s.startsWith("bob SUCCESS") && s.contains("shredded"));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static String[] concat(String[] a, String[] b, String... c) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        all.addAll(List.of(c));
        return all.toArray(String[]::new);
    }
}
