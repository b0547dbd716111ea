package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.identity.UntrustedObjectException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A signed head of an emitter's audit chain: an ordinary event of the chain (action OTHER,
 * hash format 2) whose attributes carry its emitter's signature over the chain so far. Because
 * every event names its predecessor's hash, signing the hash of event {@code n-1} vouches for
 * events {@code 0..n-1}. Attributes:
 *
 * <pre>
 * chainHead      "open" (sequence 0: binds the emitter to its key), "periodic" or "close" (no event may follow)
 * headSignature  Base64 of a {@link Signed} envelope (format 1), type "audit-head", context = the emitter,
 *                payload (UTF-8): "strongroom-audit-head-v1 " kind " " coveredSequence " " hex(coveredHash)
 *                (coveredSequence = this head's sequence - 1, -1 and 32 zero bytes for an opening head)
 * </pre>
 *
 * The envelope binds the environment, the role and the key id; the head event's own principal is
 * its emitter's principal. Which principals a role may name: {@link #mayName}.
 */
public final class AuditChainHead {
    /** The attribute naming a head's kind. */
    public static final String KIND_ATTRIBUTE = "chainHead";
    /** The attribute holding a head's signature. */
    public static final String SIGNATURE_ATTRIBUTE = "headSignature";
    static final String TYPE = "audit-head";
    private static final Set<Role> ANY_ROLE = EnumSet.allOf(Role.class);

    /** What a head says about its chain. */
    public enum Kind {
        OPEN, PERIODIC, CLOSE;

        String attribute() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A verified head.
     *
     * @param kind open, periodic or close
     * @param keyId who signed
     * @param role as what
     * @param coveredSequence the last sequence it vouches for (-1: none)
     */
    public record Verified(Kind kind, String keyId, Role role, long coveredSequence) {}

    private AuditChainHead() {}

    /** Whether {@code event} is a chain head (signed or not: {@link #verify} tells). */
    public static boolean isHead(AuditEvent event) {
        return event.getAttributes().containsKey(KIND_ATTRIBUTE);
    }

    /** Appends a head of {@code kind} to {@code chain}, signed by {@code id}, naming {@code principal}. */
    static HashChain.Written append(HashChain chain, SigningIdentity id, String principal, Kind kind, long timestampMs) {
        String payload = payload(kind, chain.nextSequence() - 1, chain.previousHash());
        byte[] envelope = Signed.sign(id, TYPE, chain.emitter(), payload.getBytes(StandardCharsets.UTF_8));
        return chain.append(new AuditRecord(principal, AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null, null,
                "signed chain head (" + kind.attribute() + ") by " + id.keyId()), timestampMs,
                Map.of(KIND_ATTRIBUTE, kind.attribute(),
                        SIGNATURE_ATTRIBUTE, Base64.getEncoder().encodeToString(envelope)));
    }

    /**
     * Verifies head {@code event} read at {@code where} against {@code trust}.
     *
     * @throws UntrustedObjectException if the signature is missing,
     *     altered, by an unknown key, or for another environment or emitter
     * @throws IllegalArgumentException if the head does not vouch for its own predecessor
     */
    public static Verified verify(String where, AuditEvent event, TrustFile trust) {
        String kindText = event.getAttributes().get(KIND_ATTRIBUTE);
        String signature = event.getAttributes().get(SIGNATURE_ATTRIBUTE);
        byte[] envelope;
        try {
            envelope = signature == null ? new byte[0] : Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            envelope = new byte[0];
        }
        Signed.Opened opened = Signed.open(where, envelope, TYPE, event.getEmitter(), trust, ANY_ROLE);
        Kind kind;
        try {
            kind = Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": unknown chain head kind '" + kindText + "'");
        }
        byte[] previous = new byte[event.getPreviousHash().remaining()];
        event.getPreviousHash().duplicate().get(previous);
        String expected = payload(kind, event.getSequence() - 1, previous);
        if (!expected.equals(new String(opened.payload(), StandardCharsets.UTF_8))) {
            throw new IllegalArgumentException(where + ": the signed head does not vouch for this chain position "
                    + "(signed: " + new String(opened.payload(), StandardCharsets.UTF_8) + "): copied from elsewhere");
        }
        if ((kind == Kind.OPEN) != (event.getSequence() == 0)) {
            throw new IllegalArgumentException(where + ": an opening head must be the chain's first event, and only it");
        }
        return new Verified(kind, opened.keyId(), opened.role(), event.getSequence() - 1);
    }

    private static String payload(Kind kind, long coveredSequence, byte[] coveredHash) {
        return "strongroom-audit-head-v1 " + kind.attribute() + " " + coveredSequence + " " + HexFormat.of().formatHex(coveredHash);
    }

    /**
     * The role whose key may sign events naming {@code principal}: {@code operator:*} is the
     * operator's, {@code verify} is restore's, a service's name is its role's; null for any other
     * name (an admin API caller, {@code unauthenticated}).
     */
    public static Role roleOf(String principal) {
        if (principal.startsWith("operator:")) {
            return Role.OPERATOR;
        }
        return switch (principal) {
            case "verify" -> Role.RESTORE;
            case "rotation-coordinator" -> Role.COORDINATOR;
            default -> {
                try {
                    yield Role.parse(principal);
                } catch (IllegalArgumentException e) {
                    yield null;
                }
            }
        };
    }

    /**
     * Whether a chain signed as {@code signer} may name {@code principal}: its own role's
     * principals; the coordinator also the callers of its admin API, which it authenticates
     * (names that are no role's). No role speaks for another service or for an operator.
     */
    public static boolean mayName(Role signer, String principal) {
        Role named = roleOf(principal);
        return named == signer || (signer == Role.COORDINATOR && named == null);
    }
}
