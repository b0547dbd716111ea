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
final class SegmentWriter {
    /** What happened to a segment. */
    enum Outcome { WRITTEN, ALREADY_PRESENT }

    private final S3Client s3;
    private final String bucket;

    SegmentWriter(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    Outcome write(String key, Segment segment, byte[] bytes) {
        SegmentHeader h = segment.header();
        String bodyCrc = java.util.HexFormat.of().formatHex(h.getBodyCrc32c().bytes());
        try {
            Map<String, String> metadata = new java.util.HashMap<>(Map.of(
                    "segment-id", h.getSegmentId(),
                    "tenant", h.getTenant(),
                    "format-version", String.valueOf(h.getFormatVersion()),
                    "key-id", h.getKeyId(),
                    "key-version", h.getKeyVersion(),
                    "record-count", String.valueOf(h.getRecordCount()),
                    "body-crc32c", bodyCrc));
            if (h.getClassification() != null) {
                metadata.put("classification", h.getClassification().name());
            }
            s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*")
                    .contentType("application/vnd.strongroom.segment").metadata(metadata),
                    RequestBody.fromBytes(bytes));
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
