package io.strongroom.coordinator;

import io.strongroom.archiver.ArchiveTarget;
import io.strongroom.archiver.Manifests;
import io.strongroom.archiver.ObjectNames;
import io.strongroom.archiver.SegmentWriter;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Re-wraps archived segments' data keys under a KEK's current primary version — in the same KMS
 * (after a rotation or a compromise) or in another one (a KMS migration) — without decrypting
 * their bodies: only the header's key id, version and wrapped DEK change, and the header is not part
 * of the body's associated data, so the body ciphertext stays byte for byte the same.
 *
 * <p>Each object is replaced only if it is still the version read ({@code If-Match}), on every
 * target that has it, and a manifest part records the new entry. Resumable: a second run skips what
 * is already under the target version. Every unwrap and wrap goes through the given KMSes (audit them).
 */
public final class Rewrap {
    private Rewrap() {}

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

    /**
     * Re-wraps every segment of {@code tenant}.
     *
     * @param source the KMS holding the current KEKs (unwraps)
     * @param target the KMS to wrap under (the same as {@code source} unless migrating)
     * @param targetKeyId the KEK to wrap under, in {@code target}
     */
    public static Result run(List<ArchiveTarget> targets, String environment, String tenant, Kms source, Kms target,
            String targetKeyId, Duration kmsTimeout, Progress progress) {
        ArchiveTarget primary = targets.get(0);
        String targetVersion = Kmses.await(target.describe(targetKeyId), kmsTimeout).stream()
                .filter(v -> v.primary()).findFirst().orElseThrow(() -> new IllegalStateException(targetKeyId + " has no primary"))
                .version();
        List<String> keys = new ArrayList<>();
        for (S3Object o : primary.client().listObjectsV2Paginator(b -> b.bucket(primary.bucket())
                .prefix(ObjectNames.tenantPrefix(environment, tenant))).contents()) {
            if (o.key().endsWith(ObjectNames.SUFFIX) && !o.key().contains("/_quarantine/")) {
                keys.add(o.key());
            }
        }
        int rewrapped = 0;
        int current = 0;
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String where = "s3://" + primary.bucket() + "/" + key;
            ResponseBytes<GetObjectResponse> object = primary.client().getObjectAsBytes(b -> b.bucket(primary.bucket()).key(key));
            byte[] bytes = object.asByteArray();
            Segment segment = Segment.parse(where, bytes);
            SegmentHeader h = segment.header();
            if (h.getKeyId().equals(targetKeyId) && h.getKeyVersion().equals(targetVersion)) {
                current++;
                progress.update(i + 1, keys.size());
                continue;
            }
            DekContext context = new DekContext(h.getEnvironment(), h.getTenant(), h.getSegmentId());
            byte[] oldWrapped = new byte[h.getWrappedDek().remaining()];
            h.getWrappedDek().duplicate().get(oldWrapped);
            var keyset = Kmses.await(source.unwrapDekKeyset(
                    new WrappedDek(h.getKeyId(), h.getKeyVersion(), h.getDekAlgorithm(), oldWrapped), context), kmsTimeout);
            WrappedDek fresh = Kmses.await(target.wrapDek(targetKeyId, keyset, context), kmsTimeout);
            SegmentHeader next = SegmentHeader.newBuilder(h).setKeyId(fresh.keyId()).setKeyVersion(fresh.keyVersion())
                    .setWrappedDek(ByteBuffer.wrap(fresh.bytes())).setDekAlgorithm(fresh.algorithm()).build();
            byte[] body = segment.body();
            byte[] replacement = new Segment(next, body).toBytes();
            Segment check = Segment.parse(where + " (rewrapped)", replacement);
            if (!java.util.Arrays.equals(check.body(), body)) {
                throw new IllegalStateException(where + ": the rewritten segment's body differs; nothing was written");
            }
            for (ArchiveTarget t : targets) {
                String etag = t == primary ? object.response().eTag() : etagOrNull(t, key);
                if (etag != null) { // a target without the object gets it from repair, rewrapped
                    new SegmentWriter(t.client(), t.bucket()).replace(key, check, replacement, etag);
                }
            }
            long now = System.currentTimeMillis();
            Manifests.Entry entry = Manifests.rewrapped(Manifests.Entry.of(h, key, bytes.length, Segment.sha256(bytes)), next,
                    replacement, now);
            byte[] part = Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, environment, tenant,
                    Manifests.day(h), List.of(entry)));
            String partKey = Manifests.rewrapKey(environment, tenant, Manifests.day(h), h.getSegmentId(), now);
            for (ArchiveTarget t : targets) {
                t.client().putObject(b -> b.bucket(t.bucket()).key(partKey).contentType("application/json"),
                        RequestBody.fromBytes(part));
            }
            rewrapped++;
            progress.update(i + 1, keys.size());
        }
        return new Result(keys.size(), rewrapped, current, targetVersion);
    }

    /** How many segments of {@code tenant} each key version still protects, from the manifests. */
    public static Map<String, Integer> references(ArchiveTarget target, String environment, String tenant) {
        Map<String, Manifests.Entry> entries = new TreeMap<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(Manifests.prefix(environment, tenant))).contents()) {
            Manifests.read(target, o.key()).segments().forEach(e -> entries.merge(e.objectKey(), e, Manifests::newer));
        }
        java.util.Set<String> pruned = new java.util.HashSet<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(io.strongroom.archiver.Retention.prunedPrefix(environment, tenant))).contents()) {
            pruned.addAll(io.strongroom.archiver.Retention.readPruned(o.key(), target.client()
                    .getObjectAsBytes(b -> b.bucket(target.bucket()).key(o.key())).asByteArray()).segments().values());
        }
        Map<String, Integer> counts = new TreeMap<>();
        entries.values().stream().filter(e -> !pruned.contains(e.objectKey()))
                .forEach(e -> counts.merge(e.keyId() + "/" + e.keyVersion(), 1, Integer::sum));
        return counts;
    }

    private static String etagOrNull(ArchiveTarget t, String key) {
        try {
            return t.client().headObject(b -> b.bucket(t.bucket()).key(key)).eTag();
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return null;
        }
    }
}
