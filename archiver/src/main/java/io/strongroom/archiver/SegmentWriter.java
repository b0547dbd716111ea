package io.strongroom.archiver;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Writes one segment as one object, never overwriting: a conditional PUT ({@code If-None-Match: *})
 * that finds the object present checks that the stored object is the same segment.
 */
public final class SegmentWriter {
    /** What happened to a segment. */
    enum Outcome { WRITTEN, ALREADY_PRESENT }

    private final S3Client s3;
    private final String bucket;
    private final ArchiverConfig config;

    public SegmentWriter(S3Client s3, String bucket) {
        this(s3, bucket, ArchiverConfig.defaults());
    }

    /** A writer that applies {@code config}'s Object Lock retention, if any. */
    SegmentWriter(S3Client s3, String bucket, ArchiverConfig config) {
        this.s3 = s3;
        this.bucket = bucket;
        this.config = config;
    }

    /**
     * Overwrites the segment at {@code key} with {@code bytes} (the same segment, its data key re-wrapped), only if
     * the object is still the version with {@code etag}: a concurrent change makes this fail, never lose.
     */
    public void replace(String key, Segment segment, byte[] bytes, String etag) {
        s3.putObject(b -> b.bucket(bucket).key(key).ifMatch(etag).contentType("application/vnd.strongroom.segment")
                .metadata(metadata(segment.header())), body(java.nio.ByteBuffer.wrap(bytes)));
    }

    /**
     * What a reader needs before opening the object: which key (and version) wraps its data key, and the body's
     * checksum. Tenant, stream, offsets and segment id are in the object's name; everything else is in its header.
     * Kept small: each entry is stored per object (extended attributes on a filesystem-backed store).
     */
    private static Map<String, String> metadata(SegmentHeader h) {
        Map<String, String> metadata = new java.util.HashMap<>(Map.of(
                "key-id", h.getKeyId(),
                "key-version", h.getKeyVersion(),
                "body-crc32c", java.util.HexFormat.of().formatHex(h.getBodyCrc32c().bytes())));
        if (h.getClassification() != null) {
            metadata.put("classification", h.getClassification().name());
        }
        return metadata;
    }

    /** The frame from {@code frame}'s position to its limit as a request body, read in place (no copy). */
    private static RequestBody body(java.nio.ByteBuffer frame) {
        if (!frame.hasArray()) {
            byte[] copy = new byte[frame.remaining()];
            frame.duplicate().get(copy);
            return body(java.nio.ByteBuffer.wrap(copy));
        }
        byte[] array = frame.array();
        int offset = frame.arrayOffset() + frame.position();
        int length = frame.remaining();
        return RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(array, offset, length), length,
                "application/vnd.strongroom.segment");
    }

    /** Writes the segment with header {@code h} whose frame lies from {@code frame}'s position to its limit. */
    Outcome write(String key, SegmentHeader h, java.nio.ByteBuffer frame) {
        String bodyCrc = java.util.HexFormat.of().formatHex(h.getBodyCrc32c().bytes());
        try {
            Map<String, String> metadata = metadata(h);
            java.time.Instant retainUntil = config.objectLock() == null ? null : config.expiry(h.getClassification(), h.getSealedAtMs());
            s3.putObject(b -> {
                b.bucket(bucket).key(key).ifNoneMatch("*").contentType("application/vnd.strongroom.segment").metadata(metadata);
                if (retainUntil != null) { // WORM until it expires: not even a leaked admin credential deletes it earlier
                    b.objectLockMode(config.objectLock()).objectLockRetainUntilDate(retainUntil);
                }
            }, body(frame));
            return Outcome.WRITTEN;
        } catch (S3Exception e) {
            if (e.statusCode() != 412) {
                throw e;
            }
        }
        HeadObjectResponse existing = s3.headObject(b -> b.bucket(bucket).key(key));
        if (!bodyCrc.equals(existing.metadata().get("body-crc32c"))) {
            throw new IllegalStateException("s3://" + bucket + "/" + key + " already exists with a different body "
                    + "(body-crc32c " + existing.metadata().get("body-crc32c") + ", segment has " + bodyCrc
                    + "); refusing to overwrite");
        }
        return Outcome.ALREADY_PRESENT;
    }
}
