package io.strongroom.archive;

import io.strongroom.avro.Classification;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * How long archived segments are kept, and how they are locked meanwhile.
 *
 * @param retention how long segments of each classification are kept; a classification without an entry is kept until
 *     deleted by hand
 * @param objectLock {@code GOVERNANCE} or {@code COMPLIANCE} to write objects with S3 Object Lock retention, or null
 */
public record RetentionPolicy(Map<Classification, Duration> retention, String objectLock) {
    public RetentionPolicy {
        retention = Map.copyOf(Objects.requireNonNullElse(retention, Map.of()));
        retention.forEach((c, d) -> {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("archiver.retention." + c + " must be positive, got " + d);
            }
        });
        if (objectLock != null && !objectLock.equals("GOVERNANCE") && !objectLock.equals("COMPLIANCE")) {
            throw new IllegalArgumentException("archiver.object-lock must be GOVERNANCE or COMPLIANCE, got '" + objectLock + "'");
        }
    }

    /** Keep everything, lock nothing. */
    public static RetentionPolicy none() {
        return new RetentionPolicy(Map.of(), null);
    }

    /** When a segment of {@code classification} sealed at {@code sealedAtMs} expires, or null if never. */
    public Instant expiry(Classification classification, long sealedAtMs) {
        Duration keep = classification == null ? null : retention.get(classification);
        return keep == null ? null : Instant.ofEpochMilli(sealedAtMs).plus(keep);
    }
}
