package io.strongroom.archive;

import io.strongroom.avro.Classification;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * How long archived segments are kept, and how they are locked meanwhile.
 *
 * @param retention how long segments of each classification are kept; a classification without an entry is kept until
 *     deleted by hand
 * @param objectLock {@code GOVERNANCE} or {@code COMPLIANCE} to write objects with S3 Object Lock retention, or null
 * @param defaultLock with {@code objectLock}, how long a segment of a classification without a retention is locked
 *     (null: not locked); its manifest parts are locked as long as the longest-locked segment they name
 */
public record RetentionPolicy(Map<Classification, Duration> retention, String objectLock, Duration defaultLock) {
    /** A policy without a default lock. */
    public RetentionPolicy(Map<Classification, Duration> retention, String objectLock) {
        this(retention, objectLock, null);
    }

    public RetentionPolicy {
        if (defaultLock != null && (defaultLock.isNegative() || defaultLock.isZero())) {
            throw new IllegalArgumentException("archiver.default-lock must be positive, got " + defaultLock);
        }
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

    /**
     * Until when a segment of {@code classification} sealed at {@code sealedAtMs} is locked: its expiry, else the
     * default lock; null if it is not locked (no Object Lock, or neither applies).
     */
    public Instant lockUntil(Classification classification, long sealedAtMs) {
        if (objectLock == null) {
            return null;
        }
        Instant expiry = expiry(classification, sealedAtMs);
        return expiry != null || defaultLock == null ? expiry : Instant.ofEpochMilli(sealedAtMs).plus(defaultLock);
    }

    /** The lock of a catalog object naming {@code entries}: as long as the longest-locked of them, or null. */
    public ArchiveTarget.Lock lockOf(Collection<Manifests.Entry> entries) {
        Instant until = null;
        for (Manifests.Entry e : entries) {
            Instant u = lockUntil(e.classification() == null ? null : Classification.valueOf(e.classification()), e.sealedAtMs());
            if (u != null && (until == null || u.isAfter(until))) {
                until = u;
            }
        }
        return until == null ? null : new ArchiveTarget.Lock(objectLock, until);
    }

    /**
     * The lock of a catalog object written at {@code now} that explains segments it does not list by name — a prune
     * marker (the gap it excuses lies before segments that live at most the longest retention from now) or a legacy
     * attestation (the objects it vouches for describe segments that do): {@code now} plus the longest of the
     * retentions and the default lock; null without Object Lock, or if none of them is set.
     */
    public ArchiveTarget.Lock catalogLock(Instant now) {
        if (objectLock == null) {
            return null;
        }
        Duration longest = defaultLock;
        for (Duration d : retention.values()) {
            if (longest == null || d.compareTo(longest) > 0) {
                longest = d;
            }
        }
        return longest == null ? null : new ArchiveTarget.Lock(objectLock, now.plus(longest));
    }

    /**
     * The lock of a legal hold object: an S3 legal hold (no end date; released by lifting it, which takes
     * {@code s3:PutObjectLegalHold}), or null without Object Lock.
     */
    public ArchiveTarget.Lock holdLock() {
        return objectLock == null ? null : ArchiveTarget.Lock.legalHoldOnly();
    }

    /** When a segment of {@code classification} sealed at {@code sealedAtMs} expires, or null if never. */
    public Instant expiry(Classification classification, long sealedAtMs) {
        Duration keep = classification == null ? null : retention.get(classification);
        return keep == null ? null : Instant.ofEpochMilli(sealedAtMs).plus(keep);
    }
}
