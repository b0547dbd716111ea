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
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry MAC with a real PKCS#11 token (SoftHSM2): the MAC key lives on the token. */
class RegistryMacOnTokenIT {
    private static final Duration T = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    static int slot;
    @TempDir Path dir;

    @BeforeAll
    static void token() {
        slot = SoftHsm.token();
    }

    private Pkcs11Kms open() {
        return Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, slot, SoftHsm.PIN.toCharArray(), dir, false));
    }

    @Test
    void anEditedRegistryFileIsRefusedAndARegistryEditDestroysNothing() throws Exception {
        Pkcs11Kms pkcs11 = open();
        String tenant = "mac-edit";
        String keyId = Kmses.await(pkcs11.createKek(tenant), T);
        DekContext ctx = new DekContext("test", tenant, "seg-1");
        DataKey underV1 = Kmses.await(pkcs11.generateDek(keyId, ctx), T);
        Kmses.await(pkcs11.rotate(keyId), T);
        Path file = dir.resolve(tenant + ".kek.json");
        byte[] original = Files.readAllBytes(file);
        ObjectNode entry = (ObjectNode) JSON.readTree(original);
        ((ObjectNode) entry.withArray("versions").get(0)).put("state", "DESTROY_SCHEDULED")
                .put("destroyAtMs", System.currentTimeMillis() - 60_000);
        JSON.writeValue(file.toFile(), entry);

        assertThatThrownBy(() -> Kmses.await(open().describe(keyId), T)).isInstanceOf(KmsException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("does not authenticate");

        InMemoryAuditTrail trail = new InMemoryAuditTrail("coordinator");
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        coordinator(new AuditingKms(pkcs11, trail, "coordinator"), metrics).runOnce(List.of(tenant));

        Counter refused = metrics.find("strongroom.coordinator.registry.refused").tag("tenant", tenant).counter();
        assertThat(refused).as("metric strongroom.coordinator.registry.refused{tenant=" + tenant + "}").isNotNull();
        assertThat(refused.count()).isEqualTo(1.0);
        assertThat(trail.events()).anyMatch(e -> e.getOutcome() == AuditOutcome.DENIED && String.valueOf(e.getDetail()).contains(file.toString()));
        assertThat(pkcs11.tokenKey(tenant, "1")).as("version 1's key is still on the token").isNotNull();
        Files.write(file, original);
        assertThat(Kmses.await(pkcs11.unwrapDek(underV1.wrapped(), ctx), T)).as("and still unwraps").isNotNull();
    }

    @Test
    void aVersionScheduledByADirectSpiCallIsNotDestroyedOnTheToken() throws Exception {
        Pkcs11Kms pkcs11 = open();
        String tenant = "mac-spi";
        String keyId = Kmses.await(pkcs11.createKek(tenant), T);
        Kmses.await(pkcs11.rotate(keyId), T);
        Kmses.await(pkcs11.scheduleDestroy(keyId, "1", Instant.now().minusSeconds(60)), T);

        InMemoryAuditTrail trail = new InMemoryAuditTrail("coordinator");
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        coordinator(new AuditingKms(pkcs11, trail, "coordinator"), metrics).runOnce(List.of(tenant));

        assertThat(Kmses.await(pkcs11.describe(keyId), T)).extracting(KeyVersion::state)
                .containsExactly(KeyState.DESTROY_SCHEDULED, KeyState.PRIMARY);
        assertThat(pkcs11.tokenKey(tenant, "1")).as("version 1's key is still on the token").isNotNull();
        Counter alerts = metrics.find("strongroom.coordinator.unapproved.destroy").tag("tenant", tenant).counter();
        assertThat(alerts).as("metric strongroom.coordinator.unapproved.destroy{tenant=" + tenant + "}").isNotNull();
        assertThat(alerts.count()).isEqualTo(1.0);
        assertThat(trail.events()).anyMatch(e -> e.getAction() == AuditAction.DESTROY_KEY && e.getOutcome() == AuditOutcome.DENIED);
    }

    @Test
    void theRegistryMacKeyIsOneNonExtractableSigningKeyOnTheToken() throws Exception {
        Pkcs11Kms first = open();
        Kmses.await(first.createKek("mac-key"), T);
        Pkcs11Kms second = Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, slot, SoftHsm.PIN.toCharArray(),
                dir.resolve("other-registry"), false));
        assertThat(second.registryMacKey().getEncoded()).as("its bytes are not exported").isNull();
        assertThat(second.registryMacKey().toString()).contains("token object").contains("sensitive").contains("unextractable");

        Process p = new ProcessBuilder("pkcs11-tool", "--module", SoftHsm.LIBRARY, "--login", "--pin", SoftHsm.PIN,
                "--list-objects", "--type", "secrkey").redirectErrorStream(true).start();
        String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> objects = List.of(listing.split("(?=Secret Key Object)"));
        List<String> macKeys = objects.stream().filter(o -> o.contains("label:      " + Pkcs11Kms.REGISTRY_MAC_LABEL)).toList();
        assertThat(macKeys).as("exactly one registry MAC key on the token, whatever the number of opens:\n" + listing).hasSize(1);
        assertThat(macKeys.get(0)).contains("Generic secret").contains("never extractable").contains("sensitive");
        assertThat(macKeys.get(0).lines().filter(l -> l.contains("Usage:")).findFirst().orElseThrow())
                .as("for MACs only: never encrypts, decrypts, wraps or unwraps")
                .doesNotContain("encrypt").doesNotContain("decrypt").doesNotContain("wrap");
        assertThat(objects).as("no unlabelled generic-secret copy left behind")
                .noneMatch(o -> o.contains("Generic secret") && !o.contains("label:"));
    }

    private static KeyRotator coordinator(AuditingKms kms, SimpleMeterRegistry metrics) {
        MockProducer<String, KeyVersionEvent> producer = new MockProducer<>(true, null,
                Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        return new KeyRotator(kms, new KeyPublisher(kms, producer, T, "coordinator"), T,
                t -> new RotationPolicy(null, null, Duration.ZERO), Clock.systemUTC(), metrics);
    }
}
