package io.strongroom.archive;

import io.strongroom.crypto.identity.TrustFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the archive under a prefix says it holds, read from one target with one listing: the segment
 * objects, the manifest and rewrap parts, and the prune markers. The one place that decides the
 * current entry of each segment (of two entries for one object, the one rewrapped last) and which
 * entries a reader may act on: an entry whose object name is not a segment of the part's own
 * tenant, or names another segment id, is a problem, never an entry — so no part can make a prune
 * delete another tenant's objects or a restore read them.
 *
 * @param listed segment objects found: key → size
 * @param manifestParts manifest and rewrap parts read
 * @param entries the current entry of each segment object the parts name, by object key (pruned ones included)
 * @param pruned segments deleted on purpose by retention: segment id → object key
 * @param problems unreadable parts and markers, parts and markers not signed by a trusted writer, and entries that do
 *     not belong where they are
 * @param authenticated whether parts and markers were verified against a trust file (else read as they are)
 * @param disputed segment objects whose archiver entries contradict each other: only their headers can be believed
 */
public record ArchiveCatalog(Map<String, Long> listed, List<String> manifestParts, Map<String, Manifests.Entry> entries,
        Map<String, String> pruned, List<String> problems, boolean authenticated, Set<String> disputed) {

    /** Reads the catalog of everything under {@code prefix} on {@code target}, without authenticating it. */
    public static ArchiveCatalog read(ArchiveTarget target, String prefix) {
        return read(target, prefix, null);
    }

    /**
     * Reads the catalog of everything under {@code prefix} on {@code target}. With {@code trust}, a part or marker
     * that is unsigned, or not signed by a trusted key of a role that may write it (see {@link CatalogSignatures}),
     * is a problem and none of its entries is used.
     */
    public static ArchiveCatalog read(ArchiveTarget target, String prefix, TrustFile trust) {
        Map<String, Long> listed = new TreeMap<>();
        List<String> parts = new ArrayList<>();
        List<String> markers = new ArrayList<>();
        List<String> attestations = new ArrayList<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket()).prefix(prefix)).contents()) {
            switch (ArchiveLayout.parse(o.key()).kind()) {
                case SEGMENT -> listed.put(o.key(), o.size());
                case MANIFEST_PART, REWRAP_PART -> parts.add(o.key());
                case PRUNE_MARKER -> markers.add(o.key());
                case ATTESTATION -> attestations.add(o.key());
                default -> { } // quarantine, holds, audit: not part of what a restore reads
            }
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> attested = trust == null ? Map.of() : LegacyAttestation.read(target, attestations, trust, problems);
        Map<String, String> pruned = new HashMap<>();
        for (String key : markers) {
            try {
                Retention.Pruned marker = Retention.readPruned(target.where(key),
                        CatalogSignatures.open(target.where(key), key, target.get(key), trust, attested));
                ArchiveLayout.Name at = ArchiveLayout.parse(key);
                marker.segments().forEach((id, objectKey) -> {
                    String wrong = misplaced(objectKey, id, at);
                    if (wrong != null) {
                        problems.add(target.where(key) + ": prune marker names " + wrong);
                    } else {
                        pruned.put(id, objectKey);
                    }
                });
            } catch (IllegalArgumentException | SdkException e) {
                problems.add(e instanceof IllegalArgumentException ? e.getMessage()
                        : target.where(key) + ": cannot be read: " + e.getMessage());
            }
        }
        Map<String, Manifests.Entry> entries = new TreeMap<>();
        Map<String, Manifests.Entry> archived = new HashMap<>(); // each object's entry from the archiver's parts
        Map<String, String> archivedIn = new HashMap<>();
        Set<String> disputed = new TreeSet<>();
        // the archiver's parts first, then rewraps: only a rewrap part may move a segment to another key
        parts.sort(Comparator.comparing(k -> ArchiveLayout.parse(k).kind() == ArchiveLayout.Kind.REWRAP_PART));
        for (String key : parts) {
            try {
                ArchiveLayout.Name at = ArchiveLayout.parse(key);
                boolean rewrap = at.kind() == ArchiveLayout.Kind.REWRAP_PART;
                byte[] payload = CatalogSignatures.open(target.where(key), key, target.get(key), trust, attested);
                for (Manifests.Entry e : Manifests.decode(target.where(key), payload).segments()) {
                    String wrong = misplaced(e.objectKey(), e.segmentId(), at);
                    if (wrong != null) {
                        problems.add(target.where(key) + ": manifest entry for segment " + e.segmentId() + " names " + wrong
                                + "; the entry is ignored");
                    } else if (!rewrap && e.rewrappedAtMs() != null) {
                        problems.add(target.where(key) + ": manifest entry for segment " + e.segmentId() + " claims a rewrap, "
                                + "which only a rewrap part may record; the entry is ignored");
                    } else if (!rewrap && archived.containsKey(e.objectKey()) && !sameSegment(archived.get(e.objectKey()), e)) {
                        disputed.add(e.objectKey());
                        problems.add(target.where(key) + ": manifest entry for segment " + e.segmentId() + " contradicts the "
                                + "one in " + target.where(archivedIn.get(e.objectKey())) + " (key, size, digest, seal time or "
                                + "classification); the segment's own header decides, and retention leaves it alone");
                    } else if (rewrap && !archived.containsKey(e.objectKey()) && !entries.containsKey(e.objectKey())) {
                        entries.put(e.objectKey(), e); // rewrapped before its part was read (an orphan), or legacy
                    } else {
                        if (!rewrap) {
                            archived.putIfAbsent(e.objectKey(), e);
                            archivedIn.putIfAbsent(e.objectKey(), key);
                        }
                        entries.merge(e.objectKey(), e, Manifests::newer);
                    }
                }
            } catch (IllegalArgumentException | SdkException e) {
                problems.add(e instanceof IllegalArgumentException ? e.getMessage()
                        : target.where(key) + ": cannot be read: " + e.getMessage());
            }
        }
        return new ArchiveCatalog(listed, parts, entries, pruned, problems, trust != null, disputed);
    }

    /** Whether two archiver entries describe the same segment object the same way. */
    private static boolean sameSegment(Manifests.Entry a, Manifests.Entry b) {
        return Objects.equals(a.keyId(), b.keyId()) && Objects.equals(a.keyVersion(), b.keyVersion())
                && a.sizeBytes() == b.sizeBytes() && Objects.equals(a.sha256(), b.sha256())
                && a.sealedAtMs() == b.sealedAtMs() && Objects.equals(a.classification(), b.classification());
    }

    /** Why {@code objectKey} may not be named as segment {@code segmentId} by an object at {@code at}, or null. */
    private static String misplaced(String objectKey, String segmentId, ArchiveLayout.Name at) {
        ArchiveLayout.Name named = ArchiveLayout.parse(objectKey == null ? "" : objectKey);
        if (named.kind() != ArchiveLayout.Kind.SEGMENT) {
            return objectKey + ", which is not a segment's name";
        }
        if (!named.isOf(at.environment(), at.tenant())) {
            return objectKey + ", outside tenant " + at.tenant() + "'s prefix " + ArchiveLayout.tenantPrefix(at.environment(),
                    at.tenant());
        }
        if (!named.segmentId().equals(segmentId)) {
            return objectKey + ", the object of segment " + named.segmentId() + ", not " + segmentId;
        }
        return null;
    }

    /** The current entry of every segment not pruned, by object key. */
    public Map<String, Manifests.Entry> current() {
        Map<String, Manifests.Entry> current = new TreeMap<>(entries);
        current.keySet().removeAll(pruned.values());
        return current;
    }
}
