package io.strongroom.archiver;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the archiver.
 *
 * @param groupId consumer group id
 * @param maxBackoff longest wait between attempts while S3 is failing (backpressure)
 */
public record ArchiverConfig(String groupId, Duration maxBackoff) {
    public ArchiverConfig {
        groupId = Objects.requireNonNullElse(groupId, "strongroom-archiver");
        maxBackoff = Objects.requireNonNullElse(maxBackoff, Duration.ofSeconds(30));
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("archiver.group-id must not be blank");
        }
        if (maxBackoff.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("archiver.max-backoff must be at least PT0.1S, got " + maxBackoff);
        }
    }

    /** All defaults. */
    public static ArchiverConfig defaults() {
        return new ArchiverConfig(null, null);
    }
}
