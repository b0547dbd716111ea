package io.strongroom.archive;

import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.identity.UntrustedObjectException;
import java.util.Map;
import java.util.Set;

/**
 * Which role may write which catalog object, and the one place catalog objects are signed and
 * opened (see {@link Signed} for the envelope). The type signed is the object's {@link ArchiveLayout.Kind}
 * and the context its name, so an object is valid only where its writer put it:
 *
 * <table>
 *   <caption>Writers</caption>
 *   <tr><th>object</th><th>type</th><th>roles</th></tr>
 *   <tr><td>manifest part</td><td>{@code manifest}</td><td>ARCHIVER; OPERATOR (legacy signing)</td></tr>
 *   <tr><td>rewrap part</td><td>{@code rewrap}</td><td>COORDINATOR, OPERATOR</td></tr>
 *   <tr><td>prune marker</td><td>{@code prune-marker}</td><td>OPERATOR</td></tr>
 *   <tr><td>legal hold</td><td>{@code legal-hold}</td><td>OPERATOR</td></tr>
 *   <tr><td>chain-head checkpoint</td><td>{@code chain-heads}</td><td>COORDINATOR</td></tr>
 *   <tr><td>legacy attestation</td><td>{@code legacy-attestation}</td><td>OPERATOR</td></tr>
 * </table>
 */
public final class CatalogSignatures {
    private record Rule(String type, Set<Role> roles) {}

    private static final Map<ArchiveLayout.Kind, Rule> RULES = Map.of(
            ArchiveLayout.Kind.MANIFEST_PART, new Rule("manifest", Set.of(Role.ARCHIVER, Role.OPERATOR)),
            ArchiveLayout.Kind.REWRAP_PART, new Rule("rewrap", Set.of(Role.COORDINATOR, Role.OPERATOR)),
            ArchiveLayout.Kind.PRUNE_MARKER, new Rule("prune-marker", Set.of(Role.OPERATOR)),
            ArchiveLayout.Kind.LEGAL_HOLD, new Rule("legal-hold", Set.of(Role.OPERATOR)),
            ArchiveLayout.Kind.CHAIN_HEADS, new Rule("chain-heads", Set.of(Role.COORDINATOR)),
            ArchiveLayout.Kind.ATTESTATION, new Rule("legacy-attestation", Set.of(Role.OPERATOR)));

    private CatalogSignatures() {}

    private static Rule rule(String key) {
        Rule rule = RULES.get(ArchiveLayout.parse(key).kind());
        if (rule == null) {
            throw new IllegalArgumentException(key + " is not a catalog object");
        }
        return rule;
    }

    /**
     * {@code payload} as it is stored at {@code key}: signed by {@code identity}, or as it is if null (a deployment
     * without identities).
     *
     * @throws IllegalArgumentException if {@code identity}'s role may not write that object
     */
    public static byte[] seal(SigningIdentity identity, String key, byte[] payload) {
        if (identity == null) {
            return payload;
        }
        Rule rule = rule(key);
        if (!rule.roles().contains(identity.role())) {
            throw new IllegalArgumentException(identity.keyId() + " (role " + identity.role() + ") may not sign " + key
                    + " (allowed: " + rule.roles() + ")");
        }
        return Signed.sign(identity, rule.type(), key, payload);
    }

    /**
     * The payload of the catalog object at {@code key}: verified against {@code trust}, or, without a trust file,
     * unverified.
     *
     * @throws UntrustedObjectException naming the object if {@code trust} is given and
     *     it is unsigned or not signed by a trusted key of a role that may write it
     */
    public static byte[] open(String where, String key, byte[] bytes, TrustFile trust) {
        return open(where, key, bytes, trust, Map.of());
    }

    /**
     * As {@link #open(String, String, byte[], TrustFile)}, also accepting an unsigned object written before signing
     * whose SHA-256 an authenticated operator attestation records for that name ({@code attested}: name → hex).
     */
    public static byte[] open(String where, String key, byte[] bytes, TrustFile trust, Map<String, String> attested) {
        if (trust == null) {
            return Signed.unverifiedPayload(where, bytes);
        }
        String sha = attested.get(key);
        if (sha != null && !Signed.isEnvelope(bytes) && sha.equals(ChainHeads.sha256(bytes))) {
            return bytes;
        }
        Rule rule = rule(key);
        return Signed.open(where, bytes, rule.type(), key, trust, rule.roles()).payload();
    }
}
