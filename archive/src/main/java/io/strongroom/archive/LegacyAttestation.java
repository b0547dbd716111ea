package io.strongroom.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * An operator's signed statement that unsigned catalog objects written before signing (format 0) are genuine: their
 * names and the SHA-256 of their bytes, at {@code {env}/{tenant}/_attested/{atMs}-{id}.json} (type
 * {@code legacy-attestation}, role OPERATOR). A reader with a trust file accepts such an object exactly as attested;
 * one changed since, or not attested, stays "unsigned". {@code strongroom archive sign-legacy} writes it once the
 * operator has verified the archive; the objects themselves are never rewritten (they may be under Object Lock).
 *
 * <pre>{"formatVersion":1, "tenant":"acme", "by":"operator:alice", "attestedAtMs":…, "objects":{"name":"sha256 hex", …}}</pre>
 */
public final class LegacyAttestation {
    /** Format of the payload. */
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The payload. */
    public record Attestation(int formatVersion, String tenant, String by, long attestedAtMs, Map<String, String> objects) {}

    private LegacyAttestation() {}

    /**
     * A tenant's unsigned catalog objects.
     *
     * @param legacy those written before its first signed one (or all, if none is signed): name → SHA-256 hex
     * @param afterSigning those written since: not legacy but unsigned writes (forged, or by a service without an
     *     identity), never attested
     */
    public record Unsigned(Map<String, String> legacy, List<String> afterSigning) {}

    /** The unsigned catalog objects (parts and markers) of {@code tenant} on {@code target}, by when they were written. */
    public static Unsigned unsigned(ArchiveTarget target, String environment, String tenant) {
        Map<String, byte[]> unsignedBytes = new TreeMap<>();
        Map<String, Instant> written = new HashMap<>();
        Instant firstSigned = null;
        for (var o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(ArchiveLayout.tenantPrefix(environment, tenant))).contents()) {
            ArchiveLayout.Kind kind = ArchiveLayout.parse(o.key()).kind();
            if (kind == ArchiveLayout.Kind.MANIFEST_PART || kind == ArchiveLayout.Kind.REWRAP_PART
                    || kind == ArchiveLayout.Kind.PRUNE_MARKER) {
                byte[] bytes = target.get(o.key());
                if (!Signed.isEnvelope(bytes)) {
                    unsignedBytes.put(o.key(), bytes);
                    written.put(o.key(), o.lastModified());
                } else if (firstSigned == null || o.lastModified().isBefore(firstSigned)) {
                    firstSigned = o.lastModified();
                }
            }
        }
        Map<String, String> legacy = new TreeMap<>();
        List<String> after = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : unsignedBytes.entrySet()) {
            if (firstSigned == null || written.get(e.getKey()).isBefore(firstSigned)) {
                legacy.put(e.getKey(), ChainHeads.sha256(e.getValue()));
            } else {
                after.add(e.getKey());
            }
        }
        return new Unsigned(legacy, after);
    }

    /** Signs an attestation of {@code objects} with an operator's identity onto every target, unlocked; returns its key. */
    public static String write(List<ArchiveTarget> targets, String environment, String tenant, SigningIdentity operator,
            String by, Map<String, String> objects, long nowMs) {
        return write(targets, environment, tenant, operator, by, objects, nowMs, RetentionPolicy.none());
    }

    /**
     * Signs an attestation of {@code objects} with an operator's identity onto every target, under {@code policy}'s
     * {@link RetentionPolicy#catalogLock catalog lock} (deleted, the objects it vouches for would read as unsigned
     * again); returns its key.
     */
    public static String write(List<ArchiveTarget> targets, String environment, String tenant, SigningIdentity operator,
            String by, Map<String, String> objects, long nowMs, RetentionPolicy policy) {
        if (operator == null || operator.role() != Role.OPERATOR) {
            throw new IllegalArgumentException("legacy objects are attested with an operator identity (identity.directory), not "
                    + (operator == null ? "none" : operator.keyId()));
        }
        String key = ArchiveLayout.attestationKey(environment, tenant, nowMs, UUID.randomUUID().toString());
        try {
            byte[] bytes = CatalogSignatures.seal(operator, key, JSON.writeValueAsBytes(
                    new Attestation(FORMAT_VERSION, tenant, by, nowMs, new TreeMap<>(objects))));
            ArchiveTarget.Lock lock = policy.catalogLock(Instant.ofEpochMilli(nowMs));
            for (ArchiveTarget t : targets) {
                t.putIfAbsent(key, bytes, "application/json", lock);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return key;
    }

    /**
     * The objects attested by authenticated attestations among {@code keys}; an attestation that is not, or that names
     * an object outside its own tenant, is a problem.
     */
    static Map<String, String> read(ArchiveTarget target, List<String> keys, TrustFile trust, List<String> problems) {
        Map<String, String> attested = new HashMap<>();
        for (String key : keys) {
            String where = target.where(key);
            try {
                Attestation a = JSON.readValue(CatalogSignatures.open(where, key, target.get(key), trust), Attestation.class);
                if (a.formatVersion() != FORMAT_VERSION || a.objects() == null) {
                    problems.add(where + ": attestation format " + a.formatVersion() + (a.objects() == null
                            ? " without objects" : "") + " is not " + FORMAT_VERSION + " (written by a newer Strongroom?)");
                    continue;
                }
                ArchiveLayout.Name at = ArchiveLayout.parse(key);
                a.objects().forEach((name, sha) -> {
                    if (ArchiveLayout.parse(name).isOf(at.environment(), at.tenant())) {
                        attested.put(name, sha);
                    } else {
                        problems.add(where + ": attests " + name + ", outside tenant " + at.tenant() + "'s prefix");
                    }
                });
            } catch (IOException e) {
                problems.add(where + ": not an attestation: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return attested;
    }
}
