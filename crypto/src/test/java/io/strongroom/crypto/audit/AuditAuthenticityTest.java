package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.schemas.AvroSerde;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed emitter chains, tested as the attacker: a Kafka principal with Write on
 * {@code strongroom.audit} (any service may write it) appending events that name another
 * principal. Each forgery is a named problem and none of its events is counted as authentic.
 */
class AuditAuthenticityTest {
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private static final SigningIdentity ENCRYPTOR = SigningIdentity.generate(Role.ENCRYPTOR, "prod");
    private static final SigningIdentity INGEST = SigningIdentity.generate(Role.INGEST, "prod");
    private static final SigningIdentity COORDINATOR = SigningIdentity.generate(Role.COORDINATOR, "prod");
    private static final TrustFile TRUST = TrustFile.empty("prod").with(ENCRYPTOR).with(INGEST).with(COORDINATOR);

    @TempDir Path dir;
    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    /** Everything on the topic, in order: what the trails sent, then what the attacker appends. */
    private final List<AuditVerifier.Positioned> topic = new ArrayList<>();
    private int collected;

    private static AuditRecord record(String principal, int i) {
        return new AuditRecord(principal, AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, "acme", "local://acme", "1", "seg-" + i,
                null);
    }

    private KafkaAuditTrail trail(String principal, AuditSigning signing) {
        return new KafkaAuditTrail(producer, principal + "-1", 1000, dir, (e, from) -> -1, signing, principal);
    }

    /** What the trails sent so far, appended to the topic. */
    private void collect() {
        var history = producer.history();
        for (var r : history.subList(collected, history.size())) {
            add(r.value());
        }
        collected = history.size();
    }

    private void add(byte[] bytes) {
        topic.add(new AuditVerifier.Positioned("audit/0/" + topic.size(), SERDE.decode("topic", bytes), bytes));
    }

    private void writeClosedChain(KafkaAuditTrail trail, String principal, int events) {
        for (int i = 0; i < events; i++) {
            trail.record(record(principal, i));
        }
        trail.close();
        collect();
    }

    private AuditVerifier.Report verify() {
        return AuditVerifier.verify(topic, TRUST);
    }

    private void appendLegacy() throws Exception {
        for (AuditVerifier.Positioned p : AuditUpgradeTest.v1Chain(1)) { // hash format 1: written before signed chains
            topic.add(new AuditVerifier.Positioned("audit/0/" + topic.size(), p.event(), p.written()));
        }
    }

    @Test
    void eventsFromBeforeSignedChainsAreLegacyNotForgedAndNotAuthentic() throws Exception {
        appendLegacy();
        writeClosedChain(trail("encryptor", new AuditSigning(ENCRYPTOR, 3, Duration.ofHours(1))), "encryptor", 2);

        AuditVerifier.Report report = verify();

        assertThat(report.problems()).isEmpty();
        assertThat(report.authenticity().legacy()).isEqualTo(3);
        assertThat(report.authenticity().authentic()).doesNotContain("audit/0/0", "audit/0/1", "audit/0/2");
        assertThat(report.authenticity().byPrincipal()).containsExactly(Map.entry("encryptor", 4L));
    }

    @Test
    void aLegacyLookingEventAppendedAfterASignedHeadIsAnUnsignedChain() throws Exception {
        writeClosedChain(trail("encryptor", new AuditSigning(ENCRYPTOR, 3, Duration.ofHours(1))), "encryptor", 2);
        appendLegacy(); // the attacker: format-1 events, as if history, after the partition's first signed head

        AuditVerifier.Report report = verify();

        assertThat(report.authenticity().legacy()).isZero();
        assertThat(report.problems()).singleElement().asString().contains("emitter encryptor-v1").contains("unsigned chain");
    }

    @Test
    void aSignedChainIsAuthenticEndToEnd() {
        writeClosedChain(trail("encryptor", new AuditSigning(ENCRYPTOR, 3, Duration.ofHours(1))), "encryptor", 7);

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).isEmpty();
        // open head, 7 events, a head after every 3rd (2), the closing head
        assertThat(topic).hasSize(11);
        assertThat(topic).filteredOn(p -> AuditChainHead.isHead(p.event())).hasSize(4);
        assertThat(report.authenticity().authentic()).hasSize(11);
        assertThat(report.authenticity().byPrincipal()).containsExactly(Map.entry("encryptor", 11L));
        assertThat(report.authenticity().awaitingSignature()).isZero();
    }

    @Test
    void withoutATrustFileNothingChanges() {
        HashChain forged = new HashChain("coordinator-evil");
        add(forged.append(record("coordinator", 0), 1).bytes());
        AuditVerifier.Report report = AuditVerifier.verify(topic);
        assertThat(report.problems()).isEmpty();
        assertThat(report.authenticity()).isNull();
    }

    @Test
    void anUnsignedChainInAnotherPrincipalsNameIsAProblemAndNotCounted() {
        writeClosedChain(trail("coordinator", AuditSigning.of(COORDINATOR)), "coordinator", 2);
        // the attacker: a hash chain of its own, as the code anyone can read would make it, naming the coordinator
        HashChain forged = new HashChain("coordinator-2");
        for (int i = 0; i < 3; i++) {
            add(forged.append(record("coordinator", i), 1_000 + i).bytes());
        }

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).singleElement().asString()
                .startsWith("audit/0/4 (emitter coordinator-2): unsigned chain")
                .contains("3 event(s) naming [coordinator] are not authentic");
        assertThat(report.authenticity().byPrincipal()).containsExactly(Map.entry("coordinator", 4L)); // the real ones only
    }

    @Test
    void aChainOpenedWithTheAttackersOwnKeyInAnotherPrincipalsNameIsAProblem() {
        // the ingest service, compromised, signs with its own trusted key but opens a chain as the coordinator
        HashChain forged = new HashChain("coordinator-2");
        add(AuditChainHead.append(forged, INGEST, "coordinator", AuditChainHead.Kind.OPEN, 1).bytes());
        add(forged.append(record("coordinator", 0), 2).bytes());
        add(AuditChainHead.append(forged, INGEST, "coordinator", AuditChainHead.Kind.CLOSE, 3).bytes());

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).anyMatch(p -> p.startsWith("audit/0/0 (emitter coordinator-2, sequence 0)")
                && p.contains("signed by " + INGEST.keyId() + " (role INGEST) in the name of coordinator"));
        assertThat(report.authenticity().authentic()).isEmpty();
    }

    @Test
    void anEventNamingAnotherPrincipalOnAProperlySignedChainIsAProblem() {
        // ingest's own, signed chain, with one event recorded in the coordinator's name
        KafkaAuditTrail trail = trail("ingest", new AuditSigning(INGEST, 2, Duration.ofHours(1)));
        trail.record(record("ingest", 0));
        trail.record(record("coordinator", 1));
        trail.record(record("ingest", 2));
        trail.close();
        collect();

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).singleElement().asString()
                .contains("names principal coordinator, but its chain is signed by " + INGEST.keyId() + " (role INGEST)")
                .contains("an event appended under another principal's name");
        assertThat(report.authenticity().byPrincipal()).doesNotContainKey("coordinator").containsKey("ingest");
    }

    @Test
    void anEventAppendedAfterAChainsClosingHeadIsAProblem() {
        writeClosedChain(trail("encryptor", AuditSigning.of(ENCRYPTOR)), "encryptor", 2);
        // the attacker continues the closed chain: hashes need no key
        HashChain continued = HashChain.resume(topic.get(topic.size() - 1).event());
        add(continued.append(record("encryptor", 9), 9).bytes());

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).singleElement().asString()
                .startsWith("audit/0/4 (emitter encryptor-1, sequence 4)").contains("after the chain's signed closing head");
        assertThat(report.authenticity().isAuthentic("audit/0/4")).isFalse();
        assertThat(report.authenticity().authentic()).hasSize(4);
    }

    @Test
    void aHeadCopiedOntoAnotherChainDoesNotVerify() {
        writeClosedChain(trail("encryptor", AuditSigning.of(ENCRYPTOR)), "encryptor", 1);
        AuditEvent realOpen = topic.get(0).event();
        // the attacker copies the encryptor's genuine opening signature onto a chain of its own
        HashChain forged = new HashChain("encryptor-2");
        add(forged.append(record("encryptor", 0), 1, Map.of(AuditChainHead.KIND_ATTRIBUTE, "open",
                AuditChainHead.SIGNATURE_ATTRIBUTE, realOpen.getAttributes().get(AuditChainHead.SIGNATURE_ATTRIBUTE))).bytes());
        add(forged.append(record("encryptor", 1), 2).bytes());

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).anyMatch(p -> p.contains("encryptor-2") && p.contains("moved or copied"));
        assertThat(report.problems()).anyMatch(p -> p.contains("(emitter encryptor-2): unsigned chain"));
        assertThat(report.authenticity().authentic()).hasSize(3); // the real chain only
    }

    @Test
    void aSecondChainStartedUnderALiveEmittersNameIsAProblem() {
        KafkaAuditTrail trail = trail("coordinator", AuditSigning.of(COORDINATOR));
        trail.record(record("coordinator", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 2);
        collect();
        // the attacker (ingest, with its own trusted key) starts a chain of the same emitter id, naming itself
        HashChain forged = new HashChain("coordinator-1");
        add(AuditChainHead.append(forged, INGEST, "ingest", AuditChainHead.Kind.OPEN, 1).bytes());
        add(forged.append(record("ingest", 0), 2).bytes());
        add(AuditChainHead.append(forged, INGEST, "ingest", AuditChainHead.Kind.CLOSE, 3).bytes());
        trail.close();
        collect();

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).allMatch(p -> p.contains("(emitter coordinator-1, sequence "))
                .anyMatch(p -> p.contains("out of order"))
                .anyMatch(p -> p.contains("chain head signed by " + INGEST.keyId() + ", but the chain was opened by "
                        + COORDINATOR.keyId()));
        // the attacker's events are never authentic (the real chain's tail, whose place it took, is not either)
        assertThat(report.authenticity().byPrincipal()).containsOnlyKeys("coordinator");
    }

    @Test
    void aChainSignedByAKeyTheTrustFileDoesNotHoldIsNotAuthentic() {
        SigningIdentity stranger = SigningIdentity.generate(Role.ENCRYPTOR, "prod");
        writeClosedChain(trail("encryptor", AuditSigning.of(stranger)), "encryptor", 2);

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).anyMatch(p -> p.contains("which the trust file does not hold"));
        assertThat(report.problems()).anyMatch(p -> p.contains("unsigned chain"));
        assertThat(report.authenticity().authentic()).isEmpty();
    }

    @Test
    void aModifiedEventUnderASignedHeadIsNotAuthentic() {
        writeClosedChain(trail("encryptor", AuditSigning.of(ENCRYPTOR)), "encryptor", 3);
        AuditVerifier.Positioned p = topic.get(2);
        byte[] edited = AuditUpgradeTest.replace(p.written(), "seg-1", "seg-7");
        topic.set(2, new AuditVerifier.Positioned(p.position(), SERDE.decode("edited", edited), edited));

        AuditVerifier.Report report = verify();
        assertThat(report.problems()).anyMatch(x -> x.startsWith("audit/0/2") && x.contains("modified"));
        assertThat(report.authenticity().isAuthentic("audit/0/2")).isFalse();
        assertThat(report.authenticity().isAuthentic("audit/0/3")).isFalse();
    }

    @Test
    void eventsAfterALiveChainsNewestHeadAwaitTheirSignatureAndAreSignedWithinTheInterval() {
        KafkaAuditTrail trail = trail("encryptor", new AuditSigning(ENCRYPTOR, 1000, Duration.ofMillis(200)));
        trail.record(record("encryptor", 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() >= 2); // the opening head, the event
        add(producer.history().get(0).value()); // the topic as it was before the timed head (which may be sent already)
        add(producer.history().get(1).value());
        collected = 2;
        AuditVerifier.Report before = AuditVerifier.verify(topic, TRUST);
        assertThat(before.problems()).isEmpty();
        assertThat(before.authenticity().awaitingSignature()).isEqualTo(1);
        assertThat(before.authenticity().isAuthentic("audit/0/1")).isFalse();

        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 3); // a timed head, no more events
        collect();
        assertThat(verify().authenticity().isAuthentic("audit/0/1")).isTrue();
        trail.close();
    }

    @Test
    void aDeadEmittersUnsignedTailIsClosedBySignedHeadWhenItsSpoolIsShipped() {
        // an encryptor killed after 2 events: opened and spooled, never signed beyond the opening head
        AuditSpool dead = AuditSpool.create(dir, "encryptor-0000dead", 1 << 20);
        HashChain chain = new HashChain("encryptor-0000dead");
        dead.awaitDurable(dead.append(AuditChainHead.append(chain, ENCRYPTOR, "encryptor", AuditChainHead.Kind.OPEN, 1), null));
        for (int i = 0; i < 2; i++) {
            dead.awaitDurable(dead.append(chain.append(record("encryptor", i), 2 + i), null));
        }
        // an operator's orphan in the same directory is shipped but never closed by the encryptor's key
        AuditSpool operator = AuditSpool.create(dir, "operator:alice-0000dead", 1 << 20);
        HashChain alice = new HashChain("operator:alice-0000dead");
        operator.awaitDurable(operator.append(alice.append(record("operator:alice", 0), 1), null));
        dead.close();
        operator.close();

        KafkaAuditTrail next = trail("encryptor", AuditSigning.of(ENCRYPTOR));
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 6); // 3 + its close, alice's 1, our open
        next.close();
        collect();

        AuditVerifier.Report report = verify();
        assertThat(topic).filteredOn(p -> p.event().getEmitter().equals("encryptor-0000dead")).hasSize(4)
                .allMatch(p -> report.authenticity().isAuthentic(p.position()));
        assertThat(report.problems()).singleElement().asString().contains("(emitter operator:alice-0000dead): unsigned chain");
    }

    @Test
    void aTrailRefusesAnIdentityWhoseRoleMayNotNameItsPrincipal() {
        assertThatThrownBy(() -> trail("coordinator", AuditSigning.of(INGEST)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("may not sign the audit chain of coordinator");
    }

    @Test
    void principalsMapToTheRolesThatMayNameThem() {
        assertThat(AuditChainHead.mayName(Role.OPERATOR, "operator:alice")).isTrue();
        assertThat(AuditChainHead.mayName(Role.RESTORE, "verify")).isTrue();
        assertThat(AuditChainHead.mayName(Role.COORDINATOR, "alice")).as("an admin API caller").isTrue();
        assertThat(AuditChainHead.mayName(Role.COORDINATOR, "encryptor")).isFalse();
        assertThat(AuditChainHead.mayName(Role.COORDINATOR, "operator:alice")).isFalse();
        assertThat(AuditChainHead.mayName(Role.INGEST, "alice")).isFalse();
    }
}
