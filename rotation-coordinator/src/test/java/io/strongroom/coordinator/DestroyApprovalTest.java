package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.coordinator.Principals.Role;
import io.strongroom.coordinator.internal.AdminApi;
import io.strongroom.coordinator.internal.DualControl;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.DestroyApproval;
import io.strongroom.crypto.kms.KeyDestroyedException;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import io.strongroom.testkit.TestSecrets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator destroys a key version only when the approved dual-control request that scheduled it is
 * recorded with the version in the (authenticated) key registry; anything else is refused and alerted on.
 */
class DestroyApprovalTest {
    private static final Duration T = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DekContext CTX = new DekContext("test", "acme", "seg-1");
    @TempDir Path dir;
    private InMemoryAuditTrail trail;
    private AuditingKms kms;
    private SimpleMeterRegistry metrics;
    private KeyPublisher publisher;
    private KeyRotator rotator;
    private DataKey underV1;

    @BeforeEach
    void setUp() {
        trail = new InMemoryAuditTrail("coordinator");
        kms = new AuditingKms(TestKms.local(dir.resolve("kms"), false), trail, "coordinator");
        metrics = new SimpleMeterRegistry();
        MockProducer<String, KeyVersionEvent> producer = new MockProducer<>(true, null,
                Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        publisher = new KeyPublisher(kms, producer, T, "coordinator");
        rotator = new KeyRotator(kms, publisher, T, t -> new RotationPolicy(null, null, Duration.ZERO), Clock.systemUTC(), metrics);
        rotator.runOnce(List.of("acme"));
        underV1 = Kmses.await(kms.generateDek("local://acme", CTX), T);
        Kmses.await(kms.rotate("local://acme"), T);
    }

    @Test
    void aVersionScheduledByARegistryEditIsNotDestroyed() throws Exception {
        Path file = dir.resolve("kms").resolve("acme.kek.json");
        byte[] original = Files.readAllBytes(file);
        ObjectNode entry = (ObjectNode) JSON.readTree(original);
        ((ObjectNode) entry.withArray("versions").get(0)).put("state", "DESTROY_SCHEDULED")
                .put("destroyAtMs", System.currentTimeMillis() - 60_000);
        JSON.writeValue(file.toFile(), entry);

        rotator.runOnce(List.of("acme"));

        assertThat(JSON.readTree(file.toFile()).path("versions").get(0).path("material").isTextual())
                .as("version 1's key material is still in the registry: not destroyed").isTrue();
        Counter refused = metrics.find("strongroom.coordinator.registry.refused").tag("tenant", "acme").counter();
        assertThat(refused).as("metric strongroom.coordinator.registry.refused{tenant=acme}").isNotNull();
        assertThat(refused.count()).isEqualTo(1.0);
        assertThat(trail.events()).as("an audited alert naming the file")
                .anyMatch(e -> e.getOutcome() == AuditOutcome.DENIED && "acme".equals(e.getTenant())
                        && String.valueOf(e.getDetail()).contains(file.toString()));

        Files.write(file, original); // the edit undone: the key is still there and usable
        assertThat(Kmses.await(kms.unwrapDek(underV1.wrapped(), CTX), T)).isNotNull();
        assertThat(states()).containsExactly(KeyState.ENABLED, KeyState.PRIMARY);
    }

    @Test
    void aVersionScheduledByADirectSpiCallIsNotDestroyed() {
        Kmses.await(kms.scheduleDestroy("local://acme", "1", Instant.now().minusSeconds(60)), T);

        rotator.runOnce(List.of("acme"));
        rotator.runOnce(List.of("acme"));

        assertThat(states()).as("not destroyed").containsExactly(KeyState.DESTROY_SCHEDULED, KeyState.PRIMARY);
        Counter alerts = metrics.find("strongroom.coordinator.unapproved.destroy").tag("tenant", "acme").counter();
        assertThat(alerts).as("metric strongroom.coordinator.unapproved.destroy{tenant=acme}").isNotNull();
        assertThat(alerts.count()).as("one alert per scheduled version, not one per pass").isEqualTo(1.0);
        assertThat(trail.events()).as("an audited refusal")
                .anyMatch(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getOutcome() == AuditOutcome.DENIED
                        && "1".equals(e.getKeyVersion()) && String.valueOf(e.getDetail()).contains("no approved dual-control request"));
        assertThat(trail.events()).noneMatch(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getOutcome() == AuditOutcome.SUCCESS);

        Kmses.await(kms.enable("local://acme", "1"), T); // the key is still there and usable
        assertThat(Kmses.await(kms.unwrapDek(underV1.wrapped(), CTX), T)).isNotNull();
    }

    @Test
    void aVersionScheduledByAnApprovedDualControlRequestIsDestroyed() throws Exception {
        Principals principals = principals();
        DualControl dualControl = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(30));
        try (AdminApi api = new AdminApi(new InetSocketAddress("127.0.0.1", 0), kms, rotator, publisher, principals, dualControl,
                t -> Map.of(), t -> new RotationPolicy(null, null, Duration.ZERO), List.of("acme"), T, Clock.systemUTC())) {
            String url = "http://127.0.0.1:" + api.port();
            var filed = post(url + "/v1/requests", "carol:c",
                    "{\"action\":\"DESTROY_VERSION\",\"tenant\":\"acme\",\"version\":\"1\",\"reason\":\"retired\"}");
            assertThat(filed.statusCode()).as(filed.body()).isEqualTo(201);
            String id = JSON.readTree(filed.body()).path("id").asText();
            assertThat(post(url + "/v1/requests/" + id + "/approve", "alice:a",
                    "{\"totp\":\"" + Principals.code(TestSecrets.ALICE_TOTP, Instant.now()) + "\"}").statusCode()).isEqualTo(200);
            var second = post(url + "/v1/requests/" + id + "/approve", "bob:b",
                    "{\"totp\":\"" + Principals.code(TestSecrets.BOB_TOTP, Instant.now()) + "\"}");
            assertThat(second.body()).contains("will be destroyed at");

            KeyVersion scheduled = Kmses.await(kms.describe("local://acme"), T).get(0);
            assertThat(scheduled.approval()).as("the approval is recorded with the version").isNotNull();
            assertThat(scheduled.approval().requestId()).isEqualTo(id);
            assertThat(scheduled.approval().approvals()).extracting(a -> a.principal()).containsExactly("alice", "bob");
            assertThat(scheduled.approval().approvals()).allSatisfy(a -> assertThat(a.at()).isBefore(Instant.now().plusSeconds(1)));

            rotator.withApprovalCheck(dualControl::confirmsDestruction).runOnce(List.of("acme")); // as CoordinatorService
        }
        assertThat(states()).containsExactly(KeyState.DESTROYED, KeyState.PRIMARY);
        assertThatThrownBy(() -> Kmses.await(kms.unwrapDek(underV1.wrapped(), CTX), T)).isInstanceOf(KeyDestroyedException.class);
        assertThat(metrics.find("strongroom.coordinator.unapproved.destroy").counters()).allMatch(c -> c.count() == 0);
        assertThat(trail.events()).anyMatch(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getOutcome() == AuditOutcome.SUCCESS
                && "1".equals(e.getKeyVersion()));
    }

    @Test
    void noVersionOfTheKeysThatWrapStrongroomsOwnKeysIsDisabledOrDestroyed() throws Exception {
        String identityKek = IdentityFile.KEK_TENANT;
        String auditKek = AuditCheckpoints.KEY_TENANT;
        for (String t : List.of(identityKek, auditKek)) {
            rotator.runOnce(List.of(t));
            Kmses.await(kms.rotate(kms.keyIdFor(t)), T); // version 1 is no longer primary: a tenant's would be disableable
        }
        Principals principals = principals();
        DualControl dualControl = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(30));
        // listed among the coordinator's tenants by mistake: even then
        try (AdminApi api = new AdminApi(new InetSocketAddress("127.0.0.1", 0), kms, rotator, publisher, principals, dualControl,
                t -> Map.of(), t -> new RotationPolicy(null, null, Duration.ZERO), List.of("acme", identityKek, auditKek), T,
                Clock.systemUTC())) {
            String url = "http://127.0.0.1:" + api.port();
            var disable = post(url + "/v1/keys/" + identityKek + "/versions/1/disable", "carol:c", "{}");
            assertThat(disable.statusCode()).as(disable.body()).isEqualTo(409);
            assertThat(disable.body()).contains("signing identities").contains("identity rotate");

            var filed = post(url + "/v1/requests", "carol:c",
                    "{\"action\":\"DESTROY_VERSION\",\"tenant\":\"" + auditKek + "\",\"version\":\"1\",\"reason\":\"x\"}");
            String id = JSON.readTree(filed.body()).path("id").asText();
            post(url + "/v1/requests/" + id + "/approve", "alice:a",
                    "{\"totp\":\"" + Principals.code(TestSecrets.ALICE_TOTP, Instant.now()) + "\"}");
            var second = post(url + "/v1/requests/" + id + "/approve", "bob:b",
                    "{\"totp\":\"" + Principals.code(TestSecrets.BOB_TOTP, Instant.now()) + "\"}");
            assertThat(second.body()).contains("refused").contains("audit trail's checkpoint signing key");
        }
        // on the KMS itself: both still usable
        for (String t : List.of(identityKek, auditKek)) {
            assertThat(Kmses.await(((ManagedKms) kms).describe(kms.keyIdFor(t)), T)).extracting(KeyVersion::state)
                    .doesNotContain(KeyState.DISABLED, KeyState.DESTROYED, KeyState.DESTROY_SCHEDULED);
        }
        assertThat(trail.events()).anyMatch(e -> e.getAction() == AuditAction.DISABLE_KEY
                && e.getOutcome() == AuditOutcome.DENIED && identityKek.equals(e.getTenant()));
    }

    @Test
    void anApprovalThatNoDualControlRequestBacksIsNotDestroyed() {
        DualControl dualControl = new DualControl(dir.resolve("requests.json"), new Principals(Map.of()), Duration.ofMinutes(30));
        rotator.withApprovalCheck(dualControl::confirmsDestruction);
        Instant now = Instant.now();
        DestroyApproval forged = new DestroyApproval("7f1c3a52-0000-4000-8000-000000000000",
                List.of(new DestroyApproval.Approval("alice", now), new DestroyApproval.Approval("bob", now)));
        Kmses.await(kms.scheduleDestroy("local://acme", "1", now.minusSeconds(60), forged), T); // a key holder's own call

        rotator.runOnce(List.of("acme"));

        assertThat(states()).containsExactly(KeyState.DESTROY_SCHEDULED, KeyState.PRIMARY);
        assertThat(metrics.find("strongroom.coordinator.unapproved.destroy").tag("tenant", "acme").counter().count()).isEqualTo(1.0);
        assertThat(trail.events()).anyMatch(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getOutcome() == AuditOutcome.DENIED
                && String.valueOf(e.getDetail()).contains("which this coordinator never filed"));
    }

    @Test
    void anApprovalWithOneApproverIsNotDestroyed() {
        Instant now = Instant.now();
        Kmses.await(kms.scheduleDestroy("local://acme", "1", now.minusSeconds(60), new DestroyApproval("r-1",
                List.of(new DestroyApproval.Approval("alice", now), new DestroyApproval.Approval("alice", now)))), T);

        rotator.runOnce(List.of("acme"));

        assertThat(states()).containsExactly(KeyState.DESTROY_SCHEDULED, KeyState.PRIMARY);
        assertThat(trail.events()).anyMatch(e -> e.getOutcome() == AuditOutcome.DENIED
                && String.valueOf(e.getDetail()).contains("1 distinct approver(s), needs 2"));
    }

    private List<KeyState> states() {
        return Kmses.await(((ManagedKms) kms).describe("local://acme"), T).stream().map(KeyVersion::state).toList();
    }

    /** Two security officers with TOTP secrets (alice, bob) and an operator (carol). */
    private Principals principals() throws IOException {
        Files.writeString(dir.resolve("alice.totp"), TestSecrets.ALICE_TOTP);
        Files.writeString(dir.resolve("bob.totp"), TestSecrets.BOB_TOTP);
        return new Principals(Map.of(
                "alice", new Principals.Principal(Set.of(Role.SECURITY_OFFICER), sha("a"), dir.resolve("alice.totp").toString()),
                "bob", new Principals.Principal(Set.of(Role.SECURITY_OFFICER), sha("b"), dir.resolve("bob.totp").toString()),
                "carol", new Principals.Principal(Set.of(Role.OPERATOR), sha("c"), null)));
    }

    private static String sha(String token) {
        return HexFormat.of().formatHex(Principals.sha256(token));
    }

    private static HttpResponse<String> post(String url, String credentials, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(T)
                .header("Authorization", "Bearer " + credentials)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
