package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.crypto.identity.TrustFile;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks every emitter's hash chain in the order events appear in the audit topic: sequences must
 * run 0, 1, 2... without gaps (a deleted event), each event must name its predecessor's hash (a
 * reordered or inserted event) and carry the hash of its own content (an edited event). An event
 * that repeats, byte for byte, one of its emitter's last {@value #REMEMBERED} events is a delivery
 * repeated (an emitter's spool re-sends what it had not seen acknowledged when it stopped): it is
 * counted as a duplicate, not reported as a problem, since it changes nothing in the chain.
 */
public final class AuditVerifier {
    /** How many of an emitter's latest sequences are remembered to recognise a repeated delivery. */
    static final int REMEMBERED = 10_000;

    private AuditVerifier() {}

    /**
     * An event where it was read.
     *
     * @param position where (e.g. {@code strongroom.audit/0/1234}), for the report
     * @param event the event
     * @param written the bytes it was read from (Avro single-object encoding), or null if not known
     */
    public record Positioned(String position, AuditEvent event, byte[] written) {
        /** An event whose written bytes are not known: its hash is checked against the current schema's encoding. */
        public Positioned(String position, AuditEvent event) {
            this(position, event, null);
        }
    }

    /**
     * The verdict.
     *
     * @param events events checked
     * @param emitters chains checked
     * @param problems one line per problem, naming position, emitter and sequence; empty if intact
     * @param duplicates events that repeat an earlier event of their chain byte for byte (counted in {@code events})
     */
    public record Report(long events, Set<String> emitters, List<String> problems, long duplicates, Authenticity authenticity) {
        public Report(long events, Set<String> emitters, List<String> problems) {
            this(events, emitters, problems, 0, null);
        }

        public Report(long events, Set<String> emitters, List<String> problems, long duplicates) {
            this(events, emitters, problems, duplicates, null);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /**
     * Which events are authentic (only when verified with a trust file).
     *
     * @param authentic positions of the events covered by a trusted signed head of a chain whose key may name their principal
     * @param byPrincipal how many authentic events name each principal
     * @param awaitingSignature events on trusted chains after their newest signed head (not authentic yet, no problem)
     * @param legacy events written before signed chains (hash format 1, before any trusted head on their partition): not
     *     authentic, no problem
     */
    public record Authenticity(Set<String> authentic, Map<String, Long> byPrincipal, long awaitingSignature, long legacy) {
        /** Without legacy events. */
        public Authenticity(Set<String> authentic, Map<String, Long> byPrincipal, long awaitingSignature) {
            this(authentic, byPrincipal, awaitingSignature, 0);
        }

        /** Whether the event read at {@code position} is authentic. */
        public boolean isAuthentic(String position) {
            return authentic.contains(position);
        }
    }

    private static final class Head {
        long sequence;
        ByteBuffer hash;
        String position;
        /** Hashes of the latest sequences, to tell a repeated delivery from a changed event. */
        final Map<Long, ByteBuffer> recent = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
                return size() > REMEMBERED;
            }
        };
    }

    /** Verifies {@code events}, given in topic order: the hash chains only (no trust file: as before issue 19). */
    public static Report verify(Iterable<Positioned> events) {
        return verify(events, null);
    }

    /**
     * Verifies {@code events}, given in topic order: the hash chains, and with {@code trust} also
     * who wrote them ({@link ChainAuthenticator}: unsigned chains, events under another
     * principal's name and bad heads are problems; {@link Report#authenticity()} names the
     * authentic events).
     *
     * @param trust the pinned signing keys, or null to check the hash chains only
     */
    public static Report verify(Iterable<Positioned> events, TrustFile trust) {
        ChainAuthenticator authenticator = trust == null ? null : new ChainAuthenticator(trust);
        Map<String, Head> heads = new HashMap<>();
        Set<String> emitters = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        long count = 0;
        long duplicates = 0;
        for (Positioned p : events) {
            count++;
            AuditEvent e = p.event();
            emitters.add(e.getEmitter());
            String at = p.position() + " (emitter " + e.getEmitter() + ", sequence " + e.getSequence() + ")";
            int problemsBefore = problems.size();
            boolean intact = ByteBuffer.wrap(HashChain.hash(e, p.written())).equals(e.getHash());
            if (!intact) {
                problems.add(at + ": modified: the event does not match its hash");
            }
            Head head = heads.get(e.getEmitter());
            if (intact && head != null && e.getSequence() <= head.sequence && e.getHash().equals(head.recent.get(e.getSequence()))) {
                duplicates++; // the same event again: a repeated delivery
                continue;
            }
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
            boolean advances = !heads.containsKey(e.getEmitter()) || e.getSequence() > head.sequence;
            if (advances) {
                head.sequence = e.getSequence(); // an out-of-order event does not move the head back
                head.hash = e.getHash();
                head.position = p.position();
                if (intact) {
                    head.recent.put(e.getSequence(), e.getHash());
                }
                heads.put(e.getEmitter(), head);
            }
            if (authenticator != null && advances) { // an event out of order is a problem already, and never authentic
                authenticator.accept(p, at, problems.size() == problemsBefore);
            }
        }
        Authenticity authenticity = null;
        if (authenticator != null) {
            problems.addAll(authenticator.problems());
            authenticity = new Authenticity(Set.copyOf(authenticator.authentic()), Map.copyOf(authenticator.authenticByPrincipal()),
                    authenticator.awaitingSignature(), authenticator.legacy());
        }
        return new Report(count, emitters, List.copyOf(problems), duplicates, authenticity);
    }
}
