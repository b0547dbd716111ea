package io.strongroom.archiver;


import io.strongroom.archive.RetentionPolicy;
import io.strongroom.archive.S3Settings;
import java.time.Duration;
import io.strongroom.avro.Classification;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the archiver.
 *
 * @param groupId consumer group id
 * @param maxBackoff longest wait between attempts while S3 is failing (backpressure)
 * @param replicas further targets (another region, another provider) every segment is also written to,
 *     besides the main {@code s3} target
 * @param minAcks how many targets (of 1 + replicas) must hold a segment before its offset is committed;
 *     default: all of them. With fewer, a target that was down is filled in later by {@code strongroom archive repair}
 * @param putConcurrency segments written at once (per target); offsets are still committed in order
 * @param retention how long segments of each classification are kept; a classification without an entry is kept
 *     until deleted by hand. {@code strongroom archive prune} deletes what has expired and is not on legal hold
 * @param objectLock {@code GOVERNANCE} or {@code COMPLIANCE} to write each segment with S3 Object Lock retention
 *     until it expires (the bucket must have Object Lock enabled); null for none
 * @param defaultLock with {@code objectLock}, how long a segment of a classification without a retention is locked
 *     instead of not at all; null for none
 */
public record ArchiverConfig(String groupId, Duration maxBackoff, List<S3Settings> replicas, Integer minAcks,
        Integer putConcurrency, Map<Classification, Duration> retention, String objectLock, Duration defaultLock) {
    /** A configuration without a default lock. */
    public ArchiverConfig(String groupId, Duration maxBackoff, List<S3Settings> replicas, Integer minAcks,
            Integer putConcurrency, Map<Classification, Duration> retention, String objectLock) {
        this(groupId, maxBackoff, replicas, minAcks, putConcurrency, retention, objectLock, null);
    }

    public ArchiverConfig {
        groupId = Objects.requireNonNullElse(groupId, "strongroom-archiver");
        maxBackoff = Objects.requireNonNullElse(maxBackoff, Duration.ofSeconds(30));
        replicas = List.copyOf(Objects.requireNonNullElse(replicas, List.of()));
        minAcks = Objects.requireNonNullElse(minAcks, 1 + replicas.size());
        putConcurrency = Objects.requireNonNullElse(putConcurrency, 4);
        retention = new RetentionPolicy(retention, objectLock, defaultLock).retention(); // checks all three
        if (putConcurrency < 1 || putConcurrency > 64) {
            throw new IllegalArgumentException("archiver.put-concurrency must be between 1 and 64, got " + putConcurrency);
        }
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("archiver.group-id must not be blank");
        }
        if (maxBackoff.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("archiver.max-backoff must be at least PT0.1S, got " + maxBackoff);
        }
        if (minAcks < 1 || minAcks > 1 + replicas.size()) {
            throw new IllegalArgumentException("archiver.min-acks must be between 1 and " + (1 + replicas.size())
                    + " (the s3 target plus " + replicas.size() + " archiver.replicas), got " + minAcks);
        }
    }

    /** All defaults: one target. */
    public static ArchiverConfig defaults() {
        return new ArchiverConfig(null, null, null, null, null, null, null);
    }

    /** Retention and Object Lock of what is archived. */
    public RetentionPolicy retentionPolicy() {
        return new RetentionPolicy(retention, objectLock, defaultLock);
    }

    /** Defaults with this group id and backoff. */
    public static ArchiverConfig of(String groupId, Duration maxBackoff) {
        return new ArchiverConfig(groupId, maxBackoff, null, null, null, null, null);
    }
}
