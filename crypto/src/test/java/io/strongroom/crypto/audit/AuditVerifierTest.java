package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditVerifierTest {
    static List<AuditVerifier.Positioned> chain(String emitter, int n) {
        InMemoryAuditTrail trail = new InMemoryAuditTrail(emitter);
        for (int i = 0; i < n; i++) {
            trail.record(new AuditRecord("encryptor", AuditAction.GENERATE_DEK, AuditOutcome.SUCCESS, "acme",
                    "local://acme", "1", "seg-" + i, null));
        }
        List<AuditVerifier.Positioned> out = new ArrayList<>();
        List<AuditEvent> events = trail.events();
        for (int i = 0; i < events.size(); i++) {
            out.add(new AuditVerifier.Positioned("audit/0/" + i, events.get(i)));
        }
        return out;
    }

    @Test
    void untouchedChainsAreOkEvenInterleaved() {
        List<AuditVerifier.Positioned> a = chain("a", 5);
        List<AuditVerifier.Positioned> b = chain("b", 5);
        List<AuditVerifier.Positioned> mixed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mixed.add(a.get(i));
            mixed.add(b.get(i));
        }
        AuditVerifier.Report report = AuditVerifier.verify(mixed);
        assertThat(report.problems()).isEmpty();
        assertThat(report.events()).isEqualTo(10);
        assertThat(report.emitters()).containsExactly("a", "b");
    }

    @Test
    void deletedEventIsPinpointed() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 6));
        events.remove(3);
        assertThat(AuditVerifier.verify(events).problems()).singleElement().asString()
                .startsWith("audit/0/4 (emitter a, sequence 4): 1 event(s) missing after sequence 2 at audit/0/2");
    }

    @Test
    void deletedFirstEventIsPinpointed() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 3));
        events.remove(0);
        assertThat(AuditVerifier.verify(events).problems()).singleElement().asString()
                .contains("sequence 1").contains("1 earlier event(s) of this emitter are missing");
    }

    @Test
    void modifiedEventIsPinpointed() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 5));
        AuditEvent edited = AuditEvent.newBuilder(events.get(2).event()).setTenant("someone-else").build();
        events.set(2, new AuditVerifier.Positioned("audit/0/2", edited));
        assertThat(AuditVerifier.verify(events).problems()).singleElement().asString()
                .isEqualTo("audit/0/2 (emitter a, sequence 2): modified: the event does not match its hash");
    }

    @Test
    void reorderedEventsArePinpointed() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 6));
        Collections.swap(events, 2, 3);
        List<String> problems = AuditVerifier.verify(events).problems();
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).contains("sequence 3").contains("missing after sequence 1");
        assertThat(problems.get(1)).contains("sequence 2").contains("out of order: comes after sequence 3");
    }

    @Test
    void forgedEventWithARecomputedHashStillBreaksTheChain() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 4));
        AuditEvent forged = AuditEvent.newBuilder(events.get(1).event()).setTenant("x")
                .setPreviousHash(ByteBuffer.wrap(new byte[32])).build();
        forged.setHash(ByteBuffer.wrap(HashChain.hash(forged)));
        events.set(1, new AuditVerifier.Positioned("audit/0/1", forged));
        assertThat(AuditVerifier.verify(events).problems()).anyMatch(p -> p.contains("sequence 1") && p.contains("chain broken"));
    }

    /**
     * An emitter's spool re-sends what it had not seen acknowledged when it stopped, so events that did land appear a
     * second time, byte for byte: a delivery repeated, not a chain changed. They are counted, not reported as problems.
     */
    @Test
    void anEventDeliveredTwiceIsADuplicateNotAProblem() {
        List<AuditVerifier.Positioned> a = chain("a", 6);
        List<AuditVerifier.Positioned> events = new ArrayList<>(a.subList(0, 5));
        events.add(new AuditVerifier.Positioned("audit/0/5", a.get(3).event()));
        events.add(new AuditVerifier.Positioned("audit/0/6", a.get(4).event()));
        events.add(new AuditVerifier.Positioned("audit/0/7", a.get(5).event()));
        AuditVerifier.Report report = AuditVerifier.verify(events);
        assertThat(report.problems()).isEmpty();
        assertThat(report.duplicates()).isEqualTo(2);
        assertThat(report.events()).isEqualTo(8);
    }

    @Test
    void aDifferentEventUnderAnEarlierSequenceIsStillAProblem() {
        List<AuditVerifier.Positioned> events = new ArrayList<>(chain("a", 5));
        AuditEvent other = AuditEvent.newBuilder(events.get(2).event()).setTenant("x").build();
        other.setHash(ByteBuffer.wrap(HashChain.hash(other)));
        events.add(new AuditVerifier.Positioned("audit/0/5", other));
        AuditVerifier.Report report = AuditVerifier.verify(events);
        assertThat(report.duplicates()).isZero();
        assertThat(report.problems()).singleElement().asString().contains("sequence 2").contains("out of order");
    }
}
