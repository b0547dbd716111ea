package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every emitter's hash chain in the order events appear in the audit topic: sequences must
 * run 0, 1, 2... without gaps (a deleted event), each event must name its predecessor's hash (a
 * reordered or inserted event) and carry the hash of its own content (an edited event).
 */
public final class AuditVerifier {
    private AuditVerifier() {}

    /**
     * An event where it was read.
     *
     * @param position where (e.g. {@code strongroom.audit/0/1234}), for the report
     * @param event the event
     */
    public record Positioned(String position, AuditEvent event) {}

    /**
     * The verdict.
     *
     * @param events events checked
     * @param emitters chains checked
     * @param problems one line per problem, naming position, emitter and sequence; empty if intact
     */
    public record Report(long events, Set<String> emitters, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private static final class Head {
        long sequence;
        ByteBuffer hash;
        String position;
    }

    /** Verifies {@code events}, given in topic order. */
    public static Report verify(Iterable<Positioned> events) {
        Map<String, Head> heads = new HashMap<>();
        Set<String> emitters = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        long count = 0;
        for (Positioned p : events) {
            count++;
            AuditEvent e = p.event();
            emitters.add(e.getEmitter());
            String at = p.position() + " (emitter " + e.getEmitter() + ", sequence " + e.getSequence() + ")";
            if (!ByteBuffer.wrap(HashChain.hash(e)).equals(e.getHash())) {
                problems.add(at + ": modified: the event does not match its hash");
            }
            Head head = heads.get(e.getEmitter());
            if (head == null) {
                if (e.getSequence() != 0) {
                    problems.add(at + ": " + e.getSequence() + " earlier event(s) of this emitter are missing");
                } else if (!e.getPreviousHash().equals(ByteBuffer.wrap(HashChain.GENESIS))) {
                    problems.add(at + ": first event does not start a chain");
                }
                head = new Head();
            } else if (e.getSequence() <= head.sequence) {
                problems.add(at + ": out of order: comes after sequence " + head.sequence + " at " + head.position);
            } else if (e.getSequence() > head.sequence + 1) {
                problems.add(at + ": " + (e.getSequence() - head.sequence - 1) + " event(s) missing after sequence "
                        + head.sequence + " at " + head.position);
            } else if (!e.getPreviousHash().equals(head.hash)) {
                problems.add(at + ": chain broken: its previous hash is not the hash of sequence " + head.sequence
                        + " at " + head.position);
            }
            if (!heads.containsKey(e.getEmitter()) || e.getSequence() > head.sequence) {
                head.sequence = e.getSequence(); // an out-of-order event does not move the head back
                head.hash = e.getHash();
                head.position = p.position();
                heads.put(e.getEmitter(), head);
            }
        }
        return new Report(count, emitters, List.copyOf(problems));
    }
}
