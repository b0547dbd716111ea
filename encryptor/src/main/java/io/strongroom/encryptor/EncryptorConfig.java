package io.strongroom.encryptor;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the encryptor.
 *
 * @param applicationId Kafka Streams application id
 * @param segmentMaxRecords a segment is sealed when it holds this many records
 * @param segmentMaxBytes a segment is sealed when its records reach this many (plaintext) bytes;
 *     keep it below the broker's {@code message.max.bytes} (1 MiB by default)
 * @param segmentMaxAge a segment is sealed this long after it was opened (wall clock)
 * @param kmsTimeout how long to wait for the KMS before failing (closed)
 */
public record EncryptorConfig(String applicationId, Integer segmentMaxRecords, Integer segmentMaxBytes,
        Duration segmentMaxAge, Duration kmsTimeout) {

    public EncryptorConfig {
        applicationId = Objects.requireNonNullElse(applicationId, "strongroom-encryptor");
        segmentMaxRecords = Objects.requireNonNullElse(segmentMaxRecords, 10_000);
        segmentMaxBytes = Objects.requireNonNullElse(segmentMaxBytes, 768 * 1024);
        segmentMaxAge = Objects.requireNonNullElse(segmentMaxAge, Duration.ofSeconds(60));
        kmsTimeout = Objects.requireNonNullElse(kmsTimeout, Duration.ofSeconds(10));
        if (segmentMaxRecords < 1 || segmentMaxRecords > 1_000_000) {
            throw new IllegalArgumentException("encryptor.segment-max-records must be between 1 and 1000000, got " + segmentMaxRecords);
        }
        if (segmentMaxBytes < 1024 || segmentMaxBytes > 64 * 1024 * 1024) {
            throw new IllegalArgumentException("encryptor.segment-max-bytes must be between 1 KiB and 64 MiB, got " + segmentMaxBytes);
        }
        if (segmentMaxAge.compareTo(Duration.ofMillis(100)) < 0 || segmentMaxAge.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("encryptor.segment-max-age must be between PT0.1S and P1D, got " + segmentMaxAge);
        }
        if (kmsTimeout.isNegative() || kmsTimeout.isZero()) {
            throw new IllegalArgumentException("encryptor.kms-timeout must be positive, got " + kmsTimeout);
        }
        if (applicationId.isBlank()) {
            throw new IllegalArgumentException("encryptor.application-id must not be blank");
        }
    }

    /** All defaults. */
    public static EncryptorConfig defaults() {
        return new EncryptorConfig(null, null, null, null, null);
    }

    /** How often open segments are checked for age: half the max age, between 100 ms and 5 s. */
    public Duration punctuateInterval() {
        Duration half = segmentMaxAge.dividedBy(2);
        return half.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100)
                : half.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : half;
    }
}
