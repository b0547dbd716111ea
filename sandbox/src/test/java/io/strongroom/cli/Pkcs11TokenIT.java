package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.Principals;
import io.strongroom.coordinator.internal.TopicProvisioner;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.Pkcs11Tool;
import io.strongroom.testkit.SoftHsm;
import io.strongroom.testkit.TestSecrets;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What destroying keys leaves on a real PKCS#11 token (SoftHSM2), counted by {@code pkcs11-tool}:
 * crypto-shredding a tenant and cleaning up the orphaned keys earlier builds left. The token is
 * shared by this JVM's tests, which run one at a time, so counts are taken before and after.
 */
class Pkcs11TokenIT {
    private static final Duration T = Duration.ofSeconds(30);

    /** The sandbox's configuration with the PKCS#11 KMS (registry under {@code dir/kms-pkcs11}) and {@code extra}. */
    private static Path pkcs11Config(Sandbox sandbox, Path dir, String extra) throws Exception {
        Path pin = dir.resolve("pin");
        Files.writeString(pin, SoftHsm.PIN);
        String yaml = Files.readString(sandbox.configFile()).replaceAll("(?s)kms:\n  type: local\n  local:\n(    .*\n)+",
                "kms:\n  type: pkcs11\n  pkcs11:\n    library: " + SoftHsm.LIBRARY + "\n    slot-list-index: " + SoftHsm.token()
                        + "\n    pin-file: " + pin + "\n    directory: " + dir.resolve("kms-pkcs11") + "\n    auto-create: true\n");
        assertThat(yaml).contains("type: pkcs11");
        Path file = dir.resolve("pkcs11.yaml");
        Files.writeString(file, yaml + extra);
        return file;
    }

    /** The topics the coordinator would create (strongroom.audit, strongroom.keys...), so the CLI can run before it. */
    private static void topics(Sandbox sandbox) {
        StrongroomConfig c = sandbox.config();
        try (var admin = sandbox.kafka().admin()) {
            TopicProvisioner.ensureTopics(admin, c.kafka().partitions(), c.kafka().replication(),
                    c.encryptor().segmentMaxBytes());
        }
    }

    private static List<String> labelsOf(String tenant) {
        return Pkcs11Tool.secretKeys().stream().map(Pkcs11Tool.SecretKey::label).filter(l -> l.contains(tenant)).sorted().toList();
    }

    private static String sha(String token) {
        return HexFormat.of().formatHex(Principals.sha256(token));
    }

    @Test
    void aShreddedTenantLeavesNoKeyOnTheToken() throws Exception {
        Pkcs11Tool.requireAvailable();
        String tenant = "shred" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("strongroom-pkcs11-shred-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            topics(sandbox);
            Files.writeString(dir.resolve("alice.totp"), TestSecrets.ALICE_TOTP);
            Files.writeString(dir.resolve("bob.totp"), TestSecrets.BOB_TOTP);
            for (String who : List.of("alice", "bob", "carol")) {
                Files.writeString(dir.resolve(who + ".token"), TestSecrets.token(who));
            }
            Path cfg = pkcs11Config(sandbox, dir, """
                    coordinator:
                      tenants: [%s]
                      check-interval: PT1S
                      policy:
                        destroy-wait: PT2S
                      admin-port: 0
                      principals:
                        alice: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                        bob: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                        carol: {roles: [OPERATOR], token-sha256: %s}
                    """.formatted(tenant, sha(TestSecrets.token("alice")), dir.resolve("alice.totp"),
                    sha(TestSecrets.token("bob")), dir.resolve("bob.totp"), sha(TestSecrets.token("carol"))));
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            List<String> before = Pkcs11Tool.secretKeys().stream().map(Pkcs11Tool.SecretKey::label).toList();
            PipelineIT.Run rotate = PipelineIT.run("keys", "rotate", "--config", cfg.toString(), "--tenant", tenant);
            assertThat(rotate.code()).as(rotate.err()).isZero(); // create, rotate: v1 and v2
            assertThat(labelsOf(tenant)).containsExactly("strongroom:" + tenant + ":v1", "strongroom:" + tenant + ":v2");
            try (CoordinatorService coordinator = Coordinators.start(config)) {
                String url = "http://127.0.0.1:" + coordinator.adminPort();
                Function<String, List<String>> as = who -> List.of("--config", cfg.toString(), "--principal",
                        who, "--token-file", dir.resolve(who + ".token").toString(), "--admin-url", url);

                PipelineIT.Run request = PipelineIT.run(args(List.of("keys", "shred-tenant"), as.apply("carol"),
                        "--tenant", tenant, "--reason", "erasure asked for"));
                assertThat(request.code()).as(request.err()).isZero();
                Matcher m = Pattern.compile("request ([0-9a-f-]{36}) filed").matcher(request.out());
                assertThat(m.find()).as(request.out()).isTrue();
                for (var officer : Map.of("alice", TestSecrets.ALICE_TOTP, "bob", TestSecrets.BOB_TOTP).entrySet()) {
                    PipelineIT.Run approve = PipelineIT.run(args(List.of("keys", "approve"), as.apply(officer.getKey()),
                            "--request", m.group(1), "--totp", Principals.code(officer.getValue(), Instant.now())));
                    assertThat(approve.code()).as(approve.err()).isZero();
                }
                try (ManagedKms kms = KmsFactory.create(config, "test")) {
                    await().atMost(T).until(() -> Kmses.await(kms.describe("pkcs11://" + tenant), T).stream()
                            .filter(v -> !v.primary()).allMatch(v -> v.state() == KeyState.DESTROYED));
                    assertThat(Kmses.await(kms.describe("pkcs11://" + tenant), T)).extracting(v -> v.version() + " " + v.state())
                            .containsExactly("1 DESTROYED", "2 DESTROYED", "3 PRIMARY");

                    // what the run added to the token (pkcs11-tool): one labelled key per live version of any tenant
                    // (the coordinator makes its own tenants' keys too), nothing unlabelled, nothing of v1 or v2
                    List<String> added = new ArrayList<>(Pkcs11Tool.secretKeys().stream().map(Pkcs11Tool.SecretKey::label).toList());
                    before.forEach(added::remove);
                    assertThat(added).as("keys added to the token").doesNotContain("").allSatisfy(label -> {
                        Matcher l = Pattern.compile("strongroom:(.+):v([0-9]+)").matcher(label);
                        assertThat(l.matches()).as(label).isTrue();
                        assertThat(Kmses.await(kms.describe("pkcs11://" + l.group(1)), T)).as(label)
                                .anyMatch(v -> v.version().equals(l.group(2)) && v.state() != KeyState.DESTROYED);
                    });
                }
            }
            assertThat(labelsOf(tenant)).as("the shredded tenant's keys on the token: only the fresh primary that protects nothing")
                    .containsExactly("strongroom:" + tenant + ":v3");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    @Test
    void orphanedTokenKeysAreListedAndDestroyedOnlyAfterConfirmationLiveKeysUntouched() throws Exception {
        Pkcs11Tool.requireAvailable();
        String tenant = "orph" + UUID.randomUUID().toString().substring(0, 8);
        String ghost = "ghost" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("strongroom-pkcs11-orphans-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            topics(sandbox);
            Path cfg = pkcs11Config(sandbox, dir, "");
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            PipelineIT.Run rotate = PipelineIT.run("keys", "rotate", "--config", cfg.toString(), "--tenant", tenant);
            assertThat(rotate.code()).as(rotate.err()).isZero(); // live: v1 and v2
            SoftHsm.storeKey("strongroom:" + tenant + ":v9", true); // as the old code stored a key: an unlabelled original too
            SoftHsm.storeKey("strongroom:" + ghost + ":v1", false); // a tenant this registry does not have
            SoftHsm.storeKey("other-app:" + tenant, false); // not Strongroom's

            PipelineIT.Run list = PipelineIT.run("keys", "orphans", "--config", cfg.toString());
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out()).contains("orphan: AES key strongroom:" + tenant + ":v9 (handle ")
                    .contains("the registry names no version 9 of tenant " + tenant)
                    .contains("orphan: AES key strongroom:" + ghost + ":v1 (handle ")
                    .contains("orphan: unlabelled AES key (handle ")
                    .doesNotContain("other-app").doesNotContain(tenant + ":v1 ").doesNotContain(tenant + ":v2 ");
            Matcher count = Pattern.compile("(\\d+) orphaned keys on the token").matcher(list.out());
            assertThat(count.find()).as(list.out()).isTrue();
            int orphans = Integer.parseInt(count.group(1));
            assertThat(orphans).as("at least the three made here").isGreaterThanOrEqualTo(3);
            int before = Pkcs11Tool.secretKeys().size();

            PipelineIT.Run refused = withStdin("y\n", () -> PipelineIT.run("keys", "orphans", "--config", cfg.toString(),
                    "--destroy", "--principal", "ciso"));
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("Type 'destroy " + orphans + "' to confirm").contains("not confirmed; nothing destroyed");
            assertThat(Pkcs11Tool.secretKeys()).as("nothing destroyed without confirmation").hasSize(before);

            PipelineIT.Run destroyed = withStdin("destroy " + orphans + "\n", () -> PipelineIT.run("keys", "orphans", "--config",
                    cfg.toString(), "--destroy", "--principal", "ciso"));
            assertThat(destroyed.code()).as(destroyed.err()).isZero();
            assertThat(Pkcs11Tool.secretKeys()).as("secret keys on the token (pkcs11-tool) after destroying the orphans")
                    .hasSize(before - orphans);
            assertThat(labelsOf(tenant)).containsExactly("other-app:" + tenant, "strongroom:" + tenant + ":v1",
                    "strongroom:" + tenant + ":v2");
            assertThat(labelsOf(ghost)).isEmpty();
            assertThat(Pkcs11Tool.secretKeys()).noneMatch(k -> k.label().isEmpty());
            PipelineIT.Run again = PipelineIT.run("keys", "orphans", "--config", cfg.toString());
            assertThat(again.out()).contains("0 orphaned keys on the token");

            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(config.kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).filteredOn(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getPrincipal().equals("operator:ciso"))
                    .hasSize(orphans).allMatch(e -> e.getOutcome() == AuditOutcome.SUCCESS)
                    .extracting(AuditEvent::getDetail)
                    .anyMatch(d -> d.contains("orphaned token key destroyed: AES key strongroom:" + tenant + ":v9"))
                    .anyMatch(d -> d.contains("orphaned token key destroyed: unlabelled AES key"));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static PipelineIT.Run withStdin(String input, Supplier<PipelineIT.Run> run) {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            return run.get();
        } finally {
            System.setIn(stdin);
        }
    }

    private static String[] args(List<String> a, List<String> b, String... c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(List.of(c));
        return all.toArray(String[]::new);
    }
}
