package io.strongroom.archive;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Writes one segment as one object, never overwriting: a conditional PUT ({@code If-None-Match: *})
 * that finds the object present checks that the stored object is the same segment.
 */
public final class SegmentWriter {
    private final ArchiveTarget target;
    private final RetentionPolicy policy;

    /** A writer to {@code target} without Object Lock. */
    public SegmentWriter(ArchiveTarget target) {
        this(target, RetentionPolicy.none());
    }

    /** A writer that applies {@code policy}'s Object Lock retention, if any. */
    public SegmentWriter(ArchiveTarget target, RetentionPolicy policy) {
        this.target = target;
        this.policy = policy;
    }

    /**
     * Overwrites the segment at {@code key} with {@code bytes} (the same segment, its data key re-wrapped), only if
     * the object is still the version with {@code etag}: a concurrent change makes this fail, never lose.
     */
    public void replace(String key, Segment segment, byte[] bytes, String etag) {
        target.client().putObject(b -> b.bucket(target.bucket()).key(key).ifMatch(etag).contentType("application/vnd.strongroom.segment")
                .metadata(metadata(segment.header())), body(ByteBuffer.wrap(bytes)));
    }

    /**
     * What a reader needs before opening the object: which key (and version) wraps its data key, and the body's
     * checksum. Tenant, stream, offsets and segment id are in the object's name; everything else is in its header.
     * Kept small: each entry is stored per object (extended attributes on a filesystem-backed store).
     */
    private static Map<String, String> metadata(SegmentHeader h) {
        Map<String, String> metadata = new HashMap<>(Map.of(
                "key-id", h.getKeyId(),
                "key-version", h.getKeyVersion(),
                "body-crc32c", HexFormat.of().formatHex(h.getBodyCrc32c().bytes())));
        if (h.getClassification() != null) {
            metadata.put("classification", h.getClassification().name());
        }
        return metadata;
    }

    /** The frame from {@code frame}'s position to its limit as a request body, read in place (no copy). */
    private static RequestBody body(ByteBuffer frame) {
        if (!frame.hasArray()) {
            byte[] copy = new byte[frame.remaining()];
            frame.duplicate().get(copy);
            return body(ByteBuffer.wrap(copy));
        }
        byte[] array = frame.array();
        int offset = frame.arrayOffset() + frame.position();
        int length = frame.remaining();
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(array, offset, length), length,
                "application/vnd.strongroom.segment");
    }

    /**
     * Writes the segment with header {@code h} whose frame lies from {@code frame}'s position to its limit.
     *
     * @return {@link ArchiveTarget.Put#ALREADY_PRESENT} if the same segment (same body CRC32C) was there already
     * @throws IllegalStateException if another object has that name: never overwritten
     */
    public ArchiveTarget.Put write(String key, SegmentHeader h, ByteBuffer frame) {
        String bodyCrc = HexFormat.of().formatHex(h.getBodyCrc32c().bytes());
        Instant retainUntil = policy.lockUntil(h.getClassification(), h.getSealedAtMs());
        ArchiveTarget.Put put = target.putIfAbsent(key, body(frame), "application/vnd.strongroom.segment", metadata(h),
                retainUntil == null ? null : new ArchiveTarget.Lock(policy.objectLock(), retainUntil));
        if (put == ArchiveTarget.Put.CREATED) {
            return put;
        }
        HeadObjectResponse existing = target.client().headObject(b -> b.bucket(target.bucket()).key(key));
        if (!bodyCrc.equals(existing.metadata().get("body-crc32c"))) {
            throw new IllegalStateException(target.where(key) + " already exists with a different body "
                    + "(body-crc32c " + existing.metadata().get("body-crc32c") + ", segment has " + bodyCrc
                    + "); refusing to overwrite");
        }
        return put;
    }
}
