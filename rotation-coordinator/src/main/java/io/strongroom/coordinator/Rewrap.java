package io.strongroom.coordinator;

import io.strongroom.archive.ArchiveCatalog;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.CatalogSignatures;
import io.strongroom.archive.Manifests;
import io.strongroom.archive.RetentionPolicy;
import io.strongroom.archive.SegmentWriter;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Re-wraps archived segments' data keys under a KEK's current primary version — in the same KMS
 * (after a rotation or a compromise) or in another one (a KMS migration) — without decrypting
 * their bodies.
 *
 * <p>{@link Mode#MANIFEST} (the default) moves no object byte: per segment, the current wrapped data
 * key (from its manifest entry, or from its header, fetched with a ranged GET) is unwrapped and
 * wrapped again, and the new key goes into a {@code rewrap-*.json} manifest part (one per day and
 * batch) that readers prefer over the header. Objects stay byte for byte the same, which also works
 * under S3 Object Lock. {@link Mode#OBJECT} also rewrites each object with the new key in its header
 * ({@code If-Match} on every target that has it), so no live object keeps a copy of its data key
 * wrapped under the old version: what a compromise calls for. Key id, version and wrapped key are not
 * in the body's associated data, so the body ciphertext never changes.
 *
 * <p>Resumable: a segment already under the target version is skipped; a crash loses at most one
 * unwritten batch of manifest entries, which the next run redoes. Every unwrap and wrap goes through
 * the given KMSes (audit them).
 */
public final class Rewrap {
    /** Manifest entries per {@code rewrap-*.json} part. */
    static final int BATCH = 500;

    private Rewrap() {}

    /** Where the re-wrapped key goes. */
    public enum Mode {
        /** Only into the manifests: no object changes. */
        MANIFEST,
        /** Into the manifests and into each object's header (the object is rewritten, its body unchanged). */
        OBJECT
    }

    /**
     * What a run did.
     *
     * @param segments segments of the tenant
     * @param rewrapped segments re-wrapped now
     * @param alreadyCurrent segments already under the target version
     * @param targetVersion the version everything now is under
     */
    public record Result(int segments, int rewrapped, int alreadyCurrent, String targetVersion) {}

    /** Progress: segments done, segments in all. */
    public interface Progress {
        void update(int done, int total);
    }

    /** {@link #run(List, String, String, ManagedKms, ManagedKms, String, Duration, Mode, Progress)} in {@link Mode#MANIFEST}. */
    public static Result run(List<ArchiveTarget> targets, String environment, String tenant, ManagedKms source, ManagedKms target,
            String targetKeyId, Duration kmsTimeout, Progress progress) {
        return run(targets, environment, tenant, source, target, targetKeyId, kmsTimeout, Mode.MANIFEST, progress);
    }

    /**
     * Re-wraps every segment of {@code tenant}.
     *
     * @param source the KMS holding the current KEKs (unwraps; a segment already under {@code targetKeyId} is
     *     unwrapped by {@code target})
     * @param target the KMS to wrap under (the same as {@code source} unless migrating)
     * @param targetKeyId the KEK to wrap under, in {@code target}
     */
    public static Result run(List<ArchiveTarget> targets, String environment, String tenant, ManagedKms source, ManagedKms target,
            String targetKeyId, Duration kmsTimeout, Mode mode, Progress progress) {
        return run(targets, environment, tenant, source, target, targetKeyId, kmsTimeout, mode, progress, null, null);
    }

    /**
     * Re-wraps every segment of {@code tenant}, reading the catalog as {@code trust} authenticates it and signing the
     * rewrap parts with {@code identity} (a coordinator's or an operator's). Either may be null: unauthenticated.
     */
    public static Result run(List<ArchiveTarget> targets, String environment, String tenant, ManagedKms source, ManagedKms target,
            String targetKeyId, Duration kmsTimeout, Mode mode, Progress progress, SigningIdentity identity, TrustFile trust) {
        return run(targets, environment, tenant, source, target, targetKeyId, kmsTimeout, mode, progress, identity, trust,
                RetentionPolicy.none());
    }

    /**
     * As above, writing each rewrap part under {@code policy}'s Object Lock for as long as the longest-locked segment it
     * names: in {@link Mode#MANIFEST} a rewrap part is the only copy of a data key wrapped under the new version, so
     * deleting it once the old version is gone would lose the segment.
     */
    public static Result run(List<ArchiveTarget> targets, String environment, String tenant, ManagedKms source, ManagedKms target,
            String targetKeyId, Duration kmsTimeout, Mode mode, Progress progress, SigningIdentity identity, TrustFile trust,
            RetentionPolicy policy) {
        ArchiveTarget primary = targets.get(0);
        String targetVersion = Kmses.await(target.describe(targetKeyId), kmsTimeout).stream()
                .filter(v -> v.primary()).findFirst().orElseThrow(() -> new IllegalStateException(targetKeyId + " has no primary"))
                .version();
        Map<String, Manifests.Entry> entries = currentEntries(primary, environment, tenant, trust);
        // an object no manifest names yet (archived, its manifest not written when this started) is re-wrapped too
        Map<String, Long> orphans = new TreeMap<>();
        for (S3Object o : primary.client().listObjectsV2Paginator(b -> b.bucket(primary.bucket())
                .prefix(ArchiveLayout.tenantPrefix(environment, tenant))).contents()) {
            if (ArchiveLayout.parse(o.key()).kind() == ArchiveLayout.Kind.SEGMENT && !entries.containsKey(o.key())) {
                orphans.put(o.key(), o.size());
            }
        }
        List<String> keys = new ArrayList<>(entries.keySet());
        keys.addAll(orphans.keySet());
        Batch batch = new Batch(targets, environment, tenant, identity, policy);
        int rewrapped = 0;
        int current = 0;
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String where = "s3://" + primary.bucket() + "/" + key;
            Manifests.Entry entry = entries.get(key);
            SegmentHeader header = null;
            if (entry == null) { // an orphan: its entry comes from the object itself
                byte[] bytes = primary.client().getObjectAsBytes(b -> b.bucket(primary.bucket()).key(key)).asByteArray();
                header = Segment.parse(where, bytes).header();
                entry = Manifests.Entry.of(header, key, bytes.length, Segment.sha256(bytes));
            }
            boolean entryCurrent = entry.keyId().equals(targetKeyId) && entry.keyVersion().equals(targetVersion);
            if (entryCurrent && mode == Mode.MANIFEST) {
                current++;
                progress.update(i + 1, keys.size());
                continue;
            }
            byte[] recorded = entry.wrappedDekBytes();
            WrappedDek dek = recorded == null ? null
                    : new WrappedDek(entry.keyId(), entry.keyVersion(), entry.dekAlgorithm(), recorded);
            if (dek == null || mode == Mode.OBJECT) {
                header = header != null ? header : headerOf(primary, key, where);
                if (mode == Mode.OBJECT && entryCurrent && header.getKeyId().equals(targetKeyId)
                        && header.getKeyVersion().equals(targetVersion)) {
                    current++;
                    progress.update(i + 1, keys.size());
                    continue;
                }
                dek = dek != null ? dek : new WrappedDek(header.getKeyId(), header.getKeyVersion(), header.getDekAlgorithm(),
                        bytes(header.getWrappedDek()));
            }
            WrappedDek fresh = entryCurrent ? dek : rewrap(dek, new DekContext(environment, tenant, entry.segmentId()),
                    dek.keyId().equals(targetKeyId) ? target : source, target, targetKeyId, kmsTimeout);
            long now = System.currentTimeMillis();
            if (mode == Mode.OBJECT) {
                batch.add(rewriteObject(targets, key, where, fresh, entry, now));
            } else {
                batch.add(entry.rekeyed(fresh.keyId(), fresh.keyVersion(), fresh.algorithm(), fresh.bytes(), now));
            }
            rewrapped++;
            progress.update(i + 1, keys.size());
        }
        batch.flush();
        return new Result(keys.size(), rewrapped, current, targetVersion);
    }

    private static WrappedDek rewrap(WrappedDek dek, DekContext context, ManagedKms unwrapper, ManagedKms target, String targetKeyId,
            Duration timeout) {
        var keyset = Kmses.await(unwrapper.unwrapDekKeyset(dek, context), timeout);
        return Kmses.await(target.wrapDek(targetKeyId, keyset, context), timeout);
    }

    /** The header of the object at {@code key}, from its first bytes only. */
    private static SegmentHeader headerOf(ArchiveTarget t, String key, String where) {
        byte[] prefix = t.client().getObjectAsBytes(b -> b.bucket(t.bucket()).key(key)
                .range("bytes=0-" + (Segment.maxHeaderPrefix() - 1))).asByteArray();
        return Segment.parseHeader(where, prefix);
    }

    /** Rewrites the object with {@code fresh} in its header, only where it is still the version read; its new entry. */
    private static Manifests.Entry rewriteObject(List<ArchiveTarget> targets, String key, String where, WrappedDek fresh,
            Manifests.Entry entry, long now) {
        ArchiveTarget primary = targets.get(0);
        ResponseBytes<GetObjectResponse> object = primary.client().getObjectAsBytes(b -> b.bucket(primary.bucket()).key(key));
        Segment segment = Segment.parse(where, object.asByteArray());
        SegmentHeader h = segment.header();
        SegmentHeader next = SegmentHeader.newBuilder(h).setKeyId(fresh.keyId()).setKeyVersion(fresh.keyVersion())
                .setWrappedDek(ByteBuffer.wrap(fresh.bytes())).setDekAlgorithm(fresh.algorithm()).build();
        byte[] body = segment.body();
        byte[] replacement = new Segment(next, body).toBytes();
        Segment check = Segment.parse(where + " (rewrapped)", replacement);
        if (!Arrays.equals(check.body(), body)) {
            throw new IllegalStateException(where + ": the rewritten segment's body differs; nothing was written");
        }
        for (ArchiveTarget t : targets) {
            String etag = t == primary ? object.response().eTag() : etagOrNull(t, key);
            if (etag != null) { // a target without the object gets it from repair, rewrapped
                new SegmentWriter(t).replace(key, check, replacement, etag);
            }
        }
        return Manifests.rewrapped(entry, next, replacement, now);
    }

    /** Rewrap entries waiting to be written, a part per day, {@link #BATCH} at a time, to every target. */
    private static final class Batch {
        private final List<ArchiveTarget> targets;
        private final String environment;
        private final String tenant;
        private final Map<String, List<Manifests.Entry>> byDay = new TreeMap<>();
        private final SigningIdentity identity;
        private int size;

        private final RetentionPolicy policy;

        Batch(List<ArchiveTarget> targets, String environment, String tenant, SigningIdentity identity,
                RetentionPolicy policy) {
            this.identity = identity;
            this.policy = policy;
            this.targets = targets;
            this.environment = environment;
            this.tenant = tenant;
        }

        void add(Manifests.Entry entry) {
            byDay.computeIfAbsent(ArchiveLayout.day(entry.sealedAtMs()), d -> new ArrayList<>()).add(entry);
            if (++size >= BATCH) {
                flush();
            }
        }

        void flush() {
            long now = System.currentTimeMillis();
            byDay.forEach((day, list) -> {
                String partKey = ArchiveLayout.rewrapKey(environment, tenant, day, list.get(0).segmentId()
                        + (list.size() > 1 ? "-" + list.size() : ""), now);
                byte[] part = CatalogSignatures.seal(identity, partKey,
                        Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, environment, tenant, day, list)));
                ArchiveTarget.Lock lock = policy.lockOf(list);
                for (ArchiveTarget t : targets) {
                    t.putIfAbsent(partKey, part, "application/json", lock);
                }
            });
            byDay.clear();
            size = 0;
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** The current manifest entry of every segment of {@code tenant} not pruned, by object key. */
    static Map<String, Manifests.Entry> currentEntries(ArchiveTarget target, String environment, String tenant,
            TrustFile trust) {
        return ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(environment, tenant), trust).current();
    }

    /**
     * The key of {@link #references}' count of segment objects whose header cannot be read: they may need any version,
     * so no version of the tenant may be disabled while there are any.
     */
    public static final String UNREADABLE = "?/unreadable";

    /**
     * How many segments in {@code references} may still need {@code keyId} version {@code version}: those that do, and
     * those whose version cannot be read.
     */
    public static int needing(Map<String, Integer> references, String keyId, String version) {
        return references.getOrDefault(keyId + "/" + version, 0) + references.getOrDefault(UNREADABLE, 0);
    }

    /** How many segments of {@code tenant} each key version still protects, from the manifests. */
    public static Map<String, Integer> references(ArchiveTarget target, String environment, String tenant) {
        return references(target, environment, tenant, null);
    }

    /**
     * How many segments of {@code tenant} each key version still protects, from the manifests as {@code trust}
     * authenticates them: a rewrap part not signed by a trusted coordinator or operator moves no segment off a
     * version, so a forged one cannot make a needed version look unused (null: unauthenticated).
     */
    public static Map<String, Integer> references(ArchiveTarget target, String environment, String tenant, TrustFile trust) {
        Map<String, Integer> counts = new TreeMap<>();
        ArchiveCatalog catalog = ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(environment, tenant), trust);
        Map<String, Manifests.Entry> current = catalog.current();
        current.values().forEach(e -> counts.merge(e.keyId() + "/" + e.keyVersion(), 1, Integer::sum));
        // a segment no (authentic) manifest names needs the key its own header names: one deleted or forged part
        // cannot make a version look unused
        // so does one whose archiver entries contradict each other
        Set<String> pruned = new HashSet<>(catalog.pruned().values());
        for (String key : catalog.listed().keySet()) {
            if ((!current.containsKey(key) || catalog.disputed().contains(key)) && !pruned.contains(key)) {
                try {
                    byte[] prefix = target.client().getObjectAsBytes(b -> b.bucket(target.bucket()).key(key)
                            .range("bytes=0-" + (Segment.maxHeaderPrefix() - 1))).asByteArray();
                    SegmentHeader h = Segment.parseHeader(target.where(key), prefix);
                    counts.merge(h.getKeyId() + "/" + h.getKeyVersion(), 1, Integer::sum);
                } catch (SegmentFormatException | SdkException e) {
                    counts.merge(UNREADABLE, 1, Integer::sum); // which version it needs is unknown: any may be
                }
            }
        }
        return counts;
    }

    private static String etagOrNull(ArchiveTarget t, String key) {
        try {
            return t.client().headObject(b -> b.bucket(t.bucket()).key(key)).eTag();
        } catch (NoSuchKeyException e) {
            return null;
        }
    }
}
