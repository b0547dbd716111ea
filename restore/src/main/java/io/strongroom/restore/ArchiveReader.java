package io.strongroom.restore;

import io.strongroom.archive.ArchiveCatalog;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.ChainHeads;
import io.strongroom.archive.Manifests;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.ChangeEvents;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Lists and opens archived segments using only S3 and the KMS. */
public final class ArchiveReader {
    private static final AvroSerde<ChangeEvent> EVENTS = AvroSerde.of(ChangeEvent.class);
    private static final AvroSerde<DeadLetterPayload> PAYLOADS = AvroSerde.of(DeadLetterPayload.class);

    private final S3Client s3;
    private final String bucket;
    private final ArchiveTarget target;
    private final SegmentOpener opener;
    private final TrustFile trust;
    private final Duration maxHeadAge;

    public ArchiveReader(S3Client s3, String bucket, Kms kms, Duration kmsTimeout) {
        this(s3, bucket, kms, kmsTimeout, null);
    }

    private ArchiveReader(ArchiveReader r, Duration maxHeadAge) {
        this.s3 = r.s3;
        this.bucket = r.bucket;
        this.target = r.target;
        this.opener = r.opener;
        this.trust = r.trust;
        this.maxHeadAge = maxHeadAge;
    }

    /**
     * This reader, for which a newest chain-head checkpoint older than {@code maxAge}, or none at all, is a problem
     * (what {@code verify} requires; a restore only reports the age).
     */
    public ArchiveReader requiringHeadsWithin(Duration maxAge) {
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge must be positive, got " + maxAge);
        }
        return new ArchiveReader(this, maxAge);
    }

    /**
     * A reader that authenticates the catalog against {@code trust} (null: reads it as it is): an unsigned or
     * untrusted manifest part, rewrap part or prune marker is a problem, not a source of truth, and every chain must
     * reach the head the newest signed chain-head checkpoint recorded ({@link ChainHeads}).
     */
    public ArchiveReader(S3Client s3, String bucket, Kms kms, Duration kmsTimeout, TrustFile trust) {
        this.trust = trust;
        this.maxHeadAge = null;
        this.s3 = s3;
        this.bucket = bucket;
        this.target = ArchiveTarget.over(s3, bucket); // the caller's client: never closed here
        this.opener = new SegmentOpener(kms, kmsTimeout);
    }

    /** Keys of every segment object under {@code prefix}, in key order. */
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            if (ArchiveLayout.parse(o.key()).kind() == ArchiveLayout.Kind.SEGMENT) {
                keys.add(o.key());
            }
        }
        return keys;
    }

    /**
     * What the archive holds under a prefix: the segments a restore reads (those listed and those the
     * manifests name, without duplicates, in key order), and what does not add up.
     *
     * @param segmentKeys segment objects to read
     * @param manifests manifest parts read
     * @param problems a segment a manifest names that is missing or has another size; an unreadable manifest
     * @param pruned ids of segments deleted on purpose by retention
     * @param entries the current manifest entry of each object the manifests name (after rewraps, the one rewrapped
     *     last: its data key is the one to unwrap)
     * @param authenticated whether the catalog was authenticated against a trust file
     * @param heads the newest signed chain-head checkpoint (null: none, or not authenticated)
     */
    public record Catalog(List<String> segmentKeys, int manifests, List<String> problems, Set<String> pruned,
            Map<String, Manifests.Entry> entries, boolean authenticated, ChainHeads.Stored heads) {}

    /**
     * Reads the manifests under {@code prefix} and lists its objects once. The manifests make a deleted
     * segment visible even at the end of a chain, where no successor names it.
     */
    public Catalog catalog(String prefix) {
        ArchiveCatalog read = ArchiveCatalog.read(target, prefix, trust);
        List<String> problems = new ArrayList<>(read.problems());
        ChainHeads.Stored heads = null;
        if (trust != null) {
            ChainHeads.History history = ChainHeads.read(target, trust.environment(), trust);
            problems.addAll(history.problems());
            heads = history.newest();
            problems.addAll(ChainHeads.missing(target, read, heads, prefix));
            String where = target.where(ArchiveLayout.chainHeadsPrefix(trust.environment()));
            if (heads == null) { // all deleted, or never written: nothing could show a deleted newest segment
                problems.add(where + ": no signed chain-head checkpoint, so a deleted newest segment could not be told "
                        + "(is the coordinator running with its identity?)");
            }
            if (maxHeadAge != null) {
                if (heads != null) {
                    Duration age = history.newestAge(Instant.now());
                    if (age.compareTo(maxHeadAge) > 0) {
                        problems.add(target.where(heads.key()) + ": the newest chain-head checkpoint is " + age.toSeconds()
                                + "s old, more than the " + maxHeadAge.toSeconds() + "s allowed: newer ones deleted, or the "
                                + "coordinator stopped signing");
                    }
                }
            }
        }
        Set<String> prunedKeys = new HashSet<>(read.pruned().values());
        read.entries().forEach((key, entry) -> {
            Long size = read.listed().get(key);
            if (size == null && prunedKeys.contains(key)) {
                return; // pruned by retention
            }
            if (size == null) {
                problems.add(target.where(key) + ": segment " + entry.segmentId() + " (" + entry.recordCount()
                        + " events of " + entry.stream() + " partition " + entry.sourcePartition() + ", offsets "
                        + entry.firstOffset() + "-" + entry.lastOffset() + ") is in the manifests but missing from the bucket");
            } else if (size != entry.sizeBytes()) {
                problems.add(target.where(key) + ": " + size + " bytes, the manifest says " + entry.sizeBytes());
            }
        });
        return new Catalog(List.copyOf(read.listed().keySet()), read.manifestParts().size(), problems,
                Set.copyOf(read.pruned().keySet()), Map.copyOf(read.entries()), trust != null, heads);
    }

    /**
     * Fetches, authenticates and decrypts one segment.
     *
     * @throws SegmentFormatException naming the object if it is corrupt, tampered, moved or swapped
     * @throws KmsException if its data key cannot be unwrapped
     */
    public RestoredSegment read(String key) {
        return read(key, null);
    }

    /** The data key a manifest entry records, or null if it records none (the object's header has it). */
    public static WrappedDek dek(Manifests.Entry entry) {
        byte[] wrapped = entry == null ? null : entry.wrappedDekBytes();
        return wrapped == null ? null : new WrappedDek(entry.keyId(), entry.keyVersion(), entry.dekAlgorithm(), wrapped);
    }

    /**
     * Fetches, authenticates and decrypts one segment, with the data key {@code entry} records if a rewrap moved it
     * (the object's header still has the key it was sealed with).
     *
     * @param entry its current manifest entry, or null
     * @throws SegmentFormatException naming the object if it is corrupt, tampered, moved or swapped
     * @throws KmsException if its data key cannot be unwrapped
     */
    public RestoredSegment read(String key, Manifests.Entry entry) {
        String where = "s3://" + bucket + "/" + key;
        byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        Segment segment = Segment.parse(where, bytes);
        if (!ArchiveLayout.segmentKey(segment.header()).equals(key)) {
            throw new SegmentFormatException(where + ": segment " + segment.header().getSegmentId() + " belongs at "
                    + ArchiveLayout.segmentKey(segment.header()) + " (moved or renamed object)");
        }
        WrappedDek dek = dek(entry);
        if (dek != null && entry.segmentId().equals(segment.header().getSegmentId())) {
            segment = segment.withKey(dek);
        }
        SegmentHeader h = segment.header();
        List<ChangeEvent> events = new ArrayList<>(h.getRecordCount());
        List<String> unreadable = new ArrayList<>();
        boolean quarantine = Segment.QUARANTINE_STREAM.equals(h.getStream());
        for (ByteBuffer record : opener.openViews(where, segment)) {
            if (!quarantine) {
                events.add(ChangeEvents.withText(EVENTS.decode(where, record)));
                continue;
            }
            // a record the encryptor could not decode, kept as it came: restored if this restore reads its schema
            DeadLetterPayload payload = PAYLOADS.decode(where, record);
            try {
                ChangeEvent e = payload.getValue() == null ? null : ChangeEvents.withText(EVENTS.decode(where, payload.getValue()));
                if (e == null) {
                    throw new SerializationException("no value");
                }
                if (!h.getTenant().equals(e.getTenant())) {
                    // the encryptor took the tenant from the record's key; the event says otherwise: not restored
                    unreadable.add(where + ": quarantine segment " + h.getSegmentId() + " (tenant " + h.getTenant()
                            + ") keeps a change event of tenant " + e.getTenant() + ", read at " + h.getSourceTopic() + "/"
                            + h.getSourcePartition() + " offset " + h.getFirstOffset() + ": its key and its event name "
                            + "different tenants; it is not restored into tenant " + h.getTenant() + "'s data");
                    continue;
                }
                events.add(e);
            } catch (SerializationException e) {
                unreadable.add(where + ": quarantine segment " + h.getSegmentId() + " (tenant " + h.getTenant() + ") keeps the "
                        + "change event read at " + h.getSourceTopic() + "/" + h.getSourcePartition() + " offset "
                        + h.getFirstOffset() + ", which this restore cannot decode (" + e.getMessage() + "); it is not "
                        + "restored: run a restore of a release that reads its schema");
            }
        }
        return new RestoredSegment(key, h, events, bytes.length, unreadable);
    }

}
