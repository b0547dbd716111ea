package io.strongroom.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.crypto.Segment;
import io.strongroom.avro.SegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Manifests: JSON objects next to the segments that list them, so a restore needs nothing but S3
 * and the KMS. The archiver writes one manifest part per tenant, day and batch, never overwritten:
 *
 * <pre>
 * {environment}/{tenant}/_manifests/{yyyy}/{MM}/{dd}/s{segmentsPartition}-{firstOffset:020}-{lastOffset:020}.json
 * </pre>
 *
 * where the offsets are those of the batch on {@code strongroom.segments}. A batch replayed after a
 * crash may be cut differently, so two parts can name the same segment: readers de-duplicate by
 * segment id.
 *
 * <p>Format version 2 adds each segment's wrapped data key ({@code dekAlgorithm}, {@code wrappedDek}).
 * A rewrap that leaves objects as they are ({@code rewrap-*.json} parts) records the key there, and
 * the entry rewrapped last is what readers unwrap; version 1 readers refuse version 2 parts rather
 * than use a key the object's header no longer has current.
 */
public final class Manifests {
    /** Format version of manifest parts. */
    public static final int FORMAT_VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // newer writers may add fields

    private Manifests() {}

    /**
     * One archived segment, as a manifest lists it.
     *
     * @param segmentId segment id
     * @param objectKey where it is, in every target
     * @param stream stream (input topic)
     * @param sourcePartition partition of the stream
     * @param firstOffset first offset of the stream it holds
     * @param lastOffset last offset
     * @param recordCount change events in it
     * @param minEventTimeMs earliest event time
     * @param maxEventTimeMs latest event time
     * @param sealedAtMs when it was sealed
     * @param predecessorSegmentId previous segment of the tenant and partition, or null
     * @param keyId KEK its data key is wrapped under
     * @param keyVersion KEK version
     * @param sizeBytes object size
     * @param sha256 SHA-256 of the object, hex
     * @param bodyCrc32c CRC32C of the ciphertext body, hex (as in the object metadata)
     * @param classification the segment's classification (drives retention), or null if it was sealed before
     *     segments recorded one
     * @param rewrappedAtMs when its data key was last re-wrapped, or null; of two entries for one object, the one
     *     rewrapped last is current
     * @param dekAlgorithm the data key's algorithm (format version 2; null in older parts)
     * @param wrappedDek the data key wrapped under {@code keyId}/{@code keyVersion}, base64 (format version 2; null in
     *     older parts, where the object's header has it). It is ciphertext, bound by the KMS to environment, tenant
     *     and segment id, so a wrong one fails to unwrap rather than open anything
     */
    public record Entry(String segmentId, String objectKey, String stream, int sourcePartition, long firstOffset,
            long lastOffset, int recordCount, long minEventTimeMs, long maxEventTimeMs, long sealedAtMs,
            String predecessorSegmentId, String keyId, String keyVersion, long sizeBytes, String sha256, String bodyCrc32c,
            String classification, Long rewrappedAtMs, String dekAlgorithm, String wrappedDek) {

        /** The entry for a segment of {@code size} bytes whose SHA-256 is {@code sha256}, stored at {@code objectKey}. */
        public static Entry of(SegmentHeader h, String objectKey, long size, byte[] sha256) {
            return new Entry(h.getSegmentId(), objectKey, h.getStream(), h.getSourcePartition(), h.getFirstOffset(),
                    h.getLastOffset(), h.getRecordCount(), h.getMinEventTimeMs(), h.getMaxEventTimeMs(), h.getSealedAtMs(),
                    h.getPredecessorSegmentId(), h.getKeyId(), h.getKeyVersion(), size,
                    HexFormat.of().formatHex(sha256), HexFormat.of().formatHex(h.getBodyCrc32c().bytes()),
                    h.getClassification() == null ? null : h.getClassification().name(), null, h.getDekAlgorithm(),
                    Base64.getEncoder().encodeToString(bytes(h.getWrappedDek())));
        }

        /**
         * This entry, its data key re-wrapped at {@code atMs} under {@code keyId}/{@code keyVersion} as {@code wrapped};
         * the object is unchanged. (The archiver only carries wrapped keys, as opaque bytes; it never unwraps one.)
         */
        public Entry rekeyed(String keyId, String keyVersion, String algorithm, byte[] wrapped, long atMs) {
            return new Entry(segmentId, objectKey, stream, sourcePartition, firstOffset, lastOffset, recordCount,
                    minEventTimeMs, maxEventTimeMs, sealedAtMs, predecessorSegmentId, keyId, keyVersion, sizeBytes,
                    sha256, bodyCrc32c, classification, atMs, algorithm, Base64.getEncoder().encodeToString(wrapped));
        }

        /** The wrapped data key this entry records, or null if only the object's header has it (format version 1). */
        public byte[] wrappedDekBytes() {
            return wrappedDek == null || dekAlgorithm == null ? null : Base64.getDecoder().decode(wrappedDek);
        }

        private static byte[] bytes(ByteBuffer b) {
            byte[] out = new byte[b.remaining()];
            b.duplicate().get(out);
            return out;
        }
    }

    /**
     * A manifest part.
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param environment environment
     * @param tenant tenant
     * @param day {@code yyyy/MM/dd} (UTC, of the segments' seal time)
     * @param segments the segments
     */
    public record Part(int formatVersion, String environment, String tenant, String day, List<Entry> segments) {}

    /** This entry after its object was rewritten by a rewrap into {@code bytes} (header {@code h}) at {@code atMs}. */
    public static Entry rewrapped(Entry entry, SegmentHeader h, byte[] bytes, long atMs) {
        Entry fresh = Entry.of(h, entry.objectKey(), bytes.length, Segment.sha256(bytes));
        return new Entry(fresh.segmentId(), fresh.objectKey(), fresh.stream(), fresh.sourcePartition(), fresh.firstOffset(),
                fresh.lastOffset(), fresh.recordCount(), fresh.minEventTimeMs(), fresh.maxEventTimeMs(), fresh.sealedAtMs(),
                fresh.predecessorSegmentId(), fresh.keyId(), fresh.keyVersion(), fresh.sizeBytes(), fresh.sha256(),
                fresh.bodyCrc32c(), fresh.classification() != null ? fresh.classification() : entry.classification(), atMs,
                fresh.dekAlgorithm(), fresh.wrappedDek());
    }

    /** Of two entries for one object, the current one: the one rewrapped last. */
    public static Entry newer(Entry a, Entry b) {
        long ra = a.rewrappedAtMs() == null ? 0 : a.rewrappedAtMs();
        long rb = b.rewrappedAtMs() == null ? 0 : b.rewrappedAtMs();
        return rb >= ra ? b : a;
    }

    public static byte[] encode(Part part) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(part);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a manifest", e);
        }
    }

    /** Reads the manifest part at {@code key} on {@code target}. */
    public static Part read(ArchiveTarget target, String key) {
        return decode("s3://" + target.bucket() + "/" + key,
                target.client().getObjectAsBytes(b -> b.bucket(target.bucket()).key(key)).asByteArray());
    }

    /**
     * Reads a manifest part.
     *
     * @throws IllegalArgumentException naming {@code where} if it is not a manifest this version can read
     */
    public static Part decode(String where, byte[] bytes) {
        Part part;
        try {
            part = JSON.readValue(bytes, Part.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not a valid manifest: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (part.formatVersion() < 1 || part.formatVersion() > FORMAT_VERSION || part.segments() == null) {
            throw new IllegalArgumentException(where + ": unsupported manifest format version " + part.formatVersion());
        }
        return part;
    }
}
