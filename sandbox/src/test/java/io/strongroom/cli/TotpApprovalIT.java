package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TOTP approvals on the coordinator's admin API: brute force locks, replays stay refused across restarts; refusals are audited. */
class TotpApprovalIT {
    /** Failed codes that lock a principal by default (coordinator.totp-max-failures). */
    private static final int MAX_FAILURES = 5;
    private static Path dir;
    private static Sandbox sandbox;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("strongroom-totp-it-");
        sandbox = Sandbox.start(dir, "PT1S");
        Files.writeString(dir.resolve("alice.totp"), TestSecrets.ALICE_TOTP);
        Files.writeString(dir.resolve("bob.totp"), TestSecrets.BOB_TOTP);
        for (String who : List.of("alice", "bob", "carol")) {
            Files.writeString(dir.resolve(who + ".token"), TestSecrets.token(who));
        }
    }

    @AfterAll
    static void stop() {
        sandbox.close();
        Dirs.deleteRecursively(dir);
    }

    /** A coordinator configuration with its own data directory {@code name}. */
    private static StrongroomConfig config(String name) throws Exception {
        Path cfg = dir.resolve(name + ".yaml");
        String base = Files.readString(sandbox.configFile()).replaceAll("(?m)^data-dir: .*$", "data-dir: " + dir.resolve(name));
        Files.writeString(cfg, base + """
                coordinator:
                  tenants: [acme]
                  check-interval: PT1M
                  admin-port: 0
                  principals:
                    alice: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                    bob: {roles: [SECURITY_OFFICER], token-sha256: %s, totp-secret-file: %s}
                    carol: {roles: [OPERATOR], token-sha256: %s}
                """.formatted(sha("alice"), dir.resolve("alice.totp"), sha("bob"), dir.resolve("bob.totp"), sha("carol")));
        return ConfigLoader.load(cfg, Map.of());
    }

    private static String sha(String who) {
        return HexFormat.of().formatHex(Principals.sha256(TestSecrets.token(who)));
    }

    private static PipelineIT.Run as(String who, String url, Path cfg, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--config", cfg.toString(), "--principal", who, "--token-file", dir.resolve(who + ".token").toString(),
                "--admin-url", url));
        return PipelineIT.run(args.toArray(String[]::new));
    }

    private static String fileRequest(String url, Path cfg) {
        PipelineIT.Run r = as("carol", url, cfg, "keys", "request-destroy", "--tenant", "acme", "--version", "1", "--reason", "retired");
        assertThat(r.code()).as(r.err()).isZero();
        Matcher m = Pattern.compile("([0-9a-f]{8}-[0-9a-f-]{27})").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return m.group(1);
    }

    private static List<AuditEvent> audit() {
        List<AuditEvent> events = new ArrayList<>();
        TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> events.add(r.value()));
        return events;
    }

    private static String wrongCode(String secret) {
        String right = Principals.code(secret, Instant.now());
        String previous = Principals.code(secret, Instant.now().minus(Principals.step()));
        for (int i = 0; ; i++) {
            String c = String.format("%06d", (Integer.parseInt(right) + 1 + i) % 1_000_000);
            if (!c.equals(right) && !c.equals(previous)) {
                return c;
            }
        }
    }

    @Test
    void aPrincipalIsLockedAfterTooManyFailedCodes() throws Exception {
        StrongroomConfig config = config("lock");
        Path cfg = dir.resolve("lock.yaml");
        try (CoordinatorService coordinator = Coordinators.start(config)) {
            String url = "http://127.0.0.1:" + coordinator.adminPort();
            String id = fileRequest(url, cfg);
            for (int i = 1; i <= MAX_FAILURES; i++) {
                PipelineIT.Run wrong = as("alice", url, cfg, "keys", "approve", "--request", id, "--totp", wrongCode(TestSecrets.ALICE_TOTP));
                assertThat(wrong.code()).isEqualTo(1);
                assertThat(wrong.err()).contains("wrong, old or reused TOTP code for alice");
            }
            PipelineIT.Run right = as("alice", url, cfg, "keys", "approve", "--request", id, "--totp",
                    Principals.code(TestSecrets.ALICE_TOTP, Instant.now()));
            assertThat(right.code()).as("after %d failed codes even the right one is refused: %s", MAX_FAILURES,
                    right.out()).isEqualTo(1);
            assertThat(right.err()).contains("alice is locked");

            PipelineIT.Run herself = as("alice", url, cfg, "keys", "unlock", "--name", "alice", "--totp",
                    Principals.code(TestSecrets.ALICE_TOTP, Instant.now()));
            assertThat(herself.code()).isEqualTo(1);
            assertThat(herself.err()).contains("another security officer must");
            PipelineIT.Run operator = as("carol", url, cfg, "keys", "unlock", "--name", "alice", "--totp", "123456");
            assertThat(operator.code()).isEqualTo(1);
            assertThat(operator.err()).contains("carol may not unlock alice");
            PipelineIT.Run stillLocked = as("alice", url, cfg, "keys", "approve", "--request", id, "--totp",
                    Principals.code(TestSecrets.ALICE_TOTP, Instant.now()));
            assertThat(stillLocked.err()).contains("alice is locked");

            PipelineIT.Run unlocked = as("bob", url, cfg, "keys", "unlock", "--name", "alice", "--totp",
                    Principals.code(TestSecrets.BOB_TOTP, Instant.now()));
            assertThat(unlocked.code()).as(unlocked.err()).isZero();
            assertThat(unlocked.out()).contains("alice unlocked by bob");
            PipelineIT.Run approved = as("alice", url, cfg, "keys", "approve", "--request", id, "--totp",
                    Principals.code(TestSecrets.ALICE_TOTP, Instant.now()));
            assertThat(approved.code()).as(approved.err()).isZero();
            assertThat(approved.out()).contains("1 of 2 approvals");
        }
        assertThat(audit()).extracting(e -> e.getPrincipal() + " " + e.getAction() + " " + e.getOutcome() + " " + e.getDetail())
                .anyMatch(s -> s.startsWith("alice ACCESS_DENIED DENIED") && s.contains("locked after " + MAX_FAILURES))
                .anyMatch(s -> s.startsWith("alice OTHER DENIED") && s.contains("unlock alice"))
                .anyMatch(s -> s.startsWith("carol ACCESS_DENIED DENIED") && s.contains("unlock alice"))
                .anyMatch(s -> s.startsWith("bob OTHER SUCCESS") && s.contains("alice unlocked by bob"));
    }

    @Test
    void aReplayedCodeIsRefusedAfterARestart() throws Exception {
        StrongroomConfig config = config("replay");
        Path cfg = dir.resolve("replay.yaml");
        String code;
        String second;
        try (CoordinatorService coordinator = Coordinators.start(config)) {
            String url = "http://127.0.0.1:" + coordinator.adminPort();
            String first = fileRequest(url, cfg);
            second = fileRequest(url, cfg);
            code = Principals.code(TestSecrets.BOB_TOTP, Instant.now());
            PipelineIT.Run accepted = as("bob", url, cfg, "keys", "approve", "--request", first, "--totp", code);
            assertThat(accepted.code()).as(accepted.err()).isZero();
        }
        try (CoordinatorService restarted = Coordinators.start(config)) {
            String url = "http://127.0.0.1:" + restarted.adminPort();
            PipelineIT.Run replayed = as("bob", url, cfg, "keys", "approve", "--request", second, "--totp", code);
            assertThat(replayed.code()).as("the code bob used before the restart: %s", replayed.out()).isEqualTo(1);
            assertThat(replayed.err()).contains("wrong, old or reused TOTP code for bob");
        }
        Path state = dir.resolve("replay").resolve("coordinator").resolve("totp.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).as("the TOTP state file").isEqualTo("rw-------");
    }

    @Test
    void aRefusedAdminCallIsAuditedWithItsStatus() throws Exception {
        StrongroomConfig config = config("refused");
        try (CoordinatorService coordinator = Coordinators.start(config)) {
            String url = "http://127.0.0.1:" + coordinator.adminPort();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> badAuth = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/keys"))
                    .header("Authorization", "Bearer carol:not-the-token").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(badAuth.statusCode()).isEqualTo(401);
            HttpResponse<String> badInput = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/requests"))
                    .header("Authorization", "Bearer carol:" + TestSecrets.token("carol"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"action\": \"EXPLODE\", \"tenant\": \"acme\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(badInput.statusCode()).isEqualTo(400);
            HttpResponse<String> noSuch = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/nothing-here"))
                    .header("Authorization", "Bearer carol:" + TestSecrets.token("carol")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(noSuch.statusCode()).isEqualTo(404);
        }
        assertThat(audit()).extracting(e -> e.getPrincipal() + " " + e.getOutcome() + " " + e.getDetail())
                .anyMatch(s -> s.startsWith("unauthenticated DENIED") && s.contains("GET /v1/keys") && s.contains("status 401"))
                .anyMatch(s -> s.startsWith("carol FAILURE") && s.contains("POST /v1/requests") && s.contains("status 400")
                        && s.contains("EXPLODE"))
                .anyMatch(s -> s.startsWith("carol FAILURE") && s.contains("GET /v1/nothing-here") && s.contains("status 404"));
    }
}
