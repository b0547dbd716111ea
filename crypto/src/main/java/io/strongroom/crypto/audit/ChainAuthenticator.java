package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.TrustFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which audit events are authentic, given the keys of a {@link TrustFile}: an event is authentic
 * only if a signed head ({@link AuditChainHead}) of its emitter's chain covers it, the chain was
 * opened by a trusted key, and that key's role may name the event's principal
 * ({@link AuditChainHead#mayName}). Fed events in topic order, after the hash-chain checks of
 * {@link AuditVerifier}. Named problems: a chain not opened by a trusted signed head (unsigned, or
 * by an unknown key), a head that does not verify or is by another key than opened the chain, an
 * event naming a principal its chain's key may not speak for, an event after the closing head.
 * Events after a chain's newest head are not authentic yet ({@link #awaitingSignature}); they are no
 * problem: a live emitter signs them within its interval.
 *
 * <p>Events from before signed chains — hash format 1 (no {@code hashFormat} attribute), on a
 * partition where no trusted head has been seen before them — are legacy ({@link #legacy}): never
 * authentic, but no problem either, so an upgraded trail does not read as forged. The same event
 * after a trusted head on its partition is an unsigned chain like any other: a writer of the topic
 * cannot pass a new forgery off as history.
 */
final class ChainAuthenticator {
    private final TrustFile trust;
    private final Map<String, Chain> chains = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final Set<String> authentic = new LinkedHashSet<>();
    private final Map<String, Long> authenticByPrincipal = new LinkedHashMap<>();
    private final Set<String> signedPartitions = new HashSet<>();
    private long legacy;

    private static final class Chain {
        String keyId;
        Role role;
        boolean closed;
        boolean broken; // a hash-chain problem since the last head: the next head vouches for nothing before it
        String firstPosition;
        final Set<String> principals = new LinkedHashSet<>();
        long unsignedEvents;
        long legacyEvents;
        final List<AuditVerifier.Positioned> pending = new ArrayList<>();
    }

    ChainAuthenticator(TrustFile trust) {
        this.trust = trust;
    }

    /**
     * One event, in topic order.
     *
     * @param chainOk whether the hash-chain checks found nothing wrong with it
     */
    void accept(AuditVerifier.Positioned p, String at, boolean chainOk) {
        AuditEvent e = p.event();
        Chain chain = chains.computeIfAbsent(e.getEmitter(), k -> new Chain());
        if (chain.firstPosition == null) {
            chain.firstPosition = p.position();
        }
        if (!chainOk) {
            chain.broken = true;
            chain.pending.clear();
        }
        if (chain.closed) {
            problems.add(at + ": appended after the chain's signed closing head: not authentic");
            return;
        }
        if (AuditChainHead.isHead(e)) {
            head(p, at, chain, chainOk);
            return;
        }
        if (chain.role == null) {
            if (!HashChain.isFormat2(e) && !signedPartitions.contains(partitionOf(p.position()))) {
                chain.legacyEvents++;
                legacy++;
            } else {
                chain.unsignedEvents++;
                chain.principals.add(e.getPrincipal());
            }
            return;
        }
        if (!AuditChainHead.mayName(chain.role, e.getPrincipal())) {
            problems.add(at + ": names principal " + e.getPrincipal() + ", but its chain is signed by " + chain.keyId
                    + " (role " + chain.role + "), which may not speak for it: an event appended under another principal's name");
            return;
        }
        if (chainOk) {
            chain.pending.add(p);
        }
    }

    private void head(AuditVerifier.Positioned p, String at, Chain chain, boolean chainOk) {
        AuditEvent e = p.event();
        AuditChainHead.Verified v;
        try {
            v = AuditChainHead.verify(at, e, trust);
        } catch (IllegalArgumentException x) { // UntrustedObjectException among them
            problems.add(x.getMessage() + " [chain head not trusted: it vouches for nothing]");
            chain.pending.clear();
            return;
        }
        if (!AuditChainHead.mayName(v.role(), e.getPrincipal())) {
            problems.add(at + ": chain head signed by " + v.keyId() + " (role " + v.role() + ") in the name of "
                    + e.getPrincipal() + ": an emitter posing as another principal");
            chain.pending.clear();
            return;
        }
        if (v.kind() == AuditChainHead.Kind.OPEN) {
            if (chain.role != null) {
                problems.add(at + ": a second opening head for this emitter (by " + v.keyId() + "; the chain was opened by "
                        + chain.keyId + "): a chain started again under its name");
                chain.pending.clear();
                return;
            }
            chain.keyId = v.keyId();
            chain.role = v.role();
            signedPartitions.add(partitionOf(p.position()));
            chain.broken = !chainOk;
            if (chainOk) {
                accepted(p, e);
            }
            return;
        }
        if (chain.role == null) {
            chain.unsignedEvents++;
            chain.principals.add(e.getPrincipal());
            return; // a chain without a trusted opening: reported once, at the end
        }
        if (!v.keyId().equals(chain.keyId)) {
            problems.add(at + ": chain head signed by " + v.keyId() + ", but the chain was opened by " + chain.keyId);
            chain.pending.clear();
            return;
        }
        if (chainOk && !chain.broken) {
            chain.pending.forEach(q -> accepted(q, q.event()));
            accepted(p, e);
        }
        chain.pending.clear();
        chain.broken = !chainOk;
        chain.closed = v.kind() == AuditChainHead.Kind.CLOSE;
    }

    private void accepted(AuditVerifier.Positioned p, AuditEvent e) {
        if (authentic.add(p.position())) {
            authenticByPrincipal.merge(e.getPrincipal(), 1L, Long::sum);
        }
    }

    /** The named problems, unsigned chains last (one line each). */
    List<String> problems() {
        List<String> all = new ArrayList<>(problems);
        chains.forEach((emitter, chain) -> {
            if (chain.role == null && chain.unsignedEvents > 0) {
                all.add(chain.firstPosition + " (emitter " + emitter + "): unsigned chain: not opened by a head signed with "
                        + "a trusted key; its " + chain.unsignedEvents + " event(s) naming " + chain.principals
                        + " are not authentic");
            }
        });
        return all;
    }

    /** The partition part ({@code topic/partition}) of a position {@code topic/partition/offset}. */
    private static String partitionOf(String position) {
        int last = position.lastIndexOf('/');
        return last < 0 ? position : position.substring(0, last);
    }

    /** Events written before signed chains (see the class comment): not authentic, not a problem. */
    long legacy() {
        return legacy;
    }

    /** Positions of the authentic events. */
    Set<String> authentic() {
        return authentic;
    }

    Map<String, Long> authenticByPrincipal() {
        return authenticByPrincipal;
    }

    /** Events on trusted chains that no signed head covers yet. */
    long awaitingSignature() {
        return chains.values().stream().mapToLong(c -> c.pending.size()).sum();
    }
}
