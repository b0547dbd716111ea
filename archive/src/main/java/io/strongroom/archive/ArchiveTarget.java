package io.strongroom.archive;

import java.time.Instant;
import java.util.Map;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One place archives are written to: a bucket on an S3-compatible endpoint. Every object of the
 * archive is written once with {@link #putIfAbsent}: a conditional PUT ({@code If-None-Match: *})
 * that never overwrites (S3 answers 412 if the name is taken).
 *
 * @param name how logs, the index and repair name it: {@code bucket} or {@code bucket@endpoint}
 * @param settings its settings
 * @param client its client (owned: close the target)
 */
public record ArchiveTarget(String name, S3Settings settings, S3Client client) implements AutoCloseable {
    /** Opens a client for {@code settings}. */
    public static ArchiveTarget of(S3Settings settings) {
        String name = settings.endpoint() == null ? settings.bucket() : settings.bucket() + "@" + settings.endpoint();
        return new ArchiveTarget(name, settings, settings.client());
    }

    /** A target over a client someone else owns (closing the target closes it). */
    public static ArchiveTarget over(S3Client client, String bucket) {
        return new ArchiveTarget(bucket, new S3Settings(null, null, bucket, null, null, null), client);
    }

    public String bucket() {
        return settings.bucket();
    }

    /** {@code s3://bucket/key}, as messages name an object. */
    public String where(String key) {
        return "s3://" + bucket() + "/" + key;
    }

    /** What a conditional PUT found. */
    public enum Put {
        /** The object was written. */
        CREATED,
        /** An object of that name already existed; nothing was written (the caller decides whether it is the same). */
        ALREADY_PRESENT
    }

    /**
     * An S3 Object Lock: a retention, a legal hold, or both. The bucket must have Object Lock enabled; S3 then refuses
     * to delete the object (or any version of it) while either holds.
     *
     * @param mode {@code GOVERNANCE} or {@code COMPLIANCE}, or null for no retention
     * @param retainUntil with {@code mode}, until when
     * @param legalHold whether the object is under a legal hold (no end date: lifted by {@code s3:PutObjectLegalHold})
     */
    public record Lock(String mode, Instant retainUntil, boolean legalHold) {
        /** A retention until {@code retainUntil}. */
        public Lock(String mode, Instant retainUntil) {
            this(mode, retainUntil, false);
        }

        public Lock {
            if ((mode == null) != (retainUntil == null) || (mode == null && !legalHold)) {
                throw new IllegalArgumentException("an Object Lock is a mode with a retain-until date, a legal hold, or both");
            }
        }

        /** A legal hold without a retention. */
        public static Lock legalHoldOnly() {
            return new Lock(null, null, true);
        }
    }

    /**
     * Writes {@code key} only if no object has that name: the one conditional-put path of the archive.
     *
     * @param metadata user metadata, or an empty map
     * @param lock Object Lock retention, or null for none
     */
    public Put putIfAbsent(String key, RequestBody body, String contentType, Map<String, String> metadata, Lock lock) {
        try {
            client.putObject(b -> {
                b.bucket(bucket()).key(key).ifNoneMatch("*").contentType(contentType).metadata(metadata);
                if (lock != null && lock.mode() != null) { // WORM until then: not even a leaked admin credential deletes it earlier
                    b.objectLockMode(lock.mode()).objectLockRetainUntilDate(lock.retainUntil());
                }
                if (lock != null && lock.legalHold()) {
                    b.objectLockLegalHoldStatus(ObjectLockLegalHoldStatus.ON);
                }
            }, body);
            return Put.CREATED;
        } catch (S3Exception e) {
            if (e.statusCode() != 412) {
                throw e;
            }
            return Put.ALREADY_PRESENT;
        }
    }

    /** {@link #putIfAbsent} of a small JSON (or other) object without metadata. */
    public Put putIfAbsent(String key, byte[] bytes, String contentType, Lock lock) {
        return putIfAbsent(key, RequestBody.fromBytes(bytes), contentType, Map.of(), lock);
    }

    /**
     * Lifts the legal hold on {@code key}, so that it can be deleted (needs {@code s3:PutObjectLegalHold}, which only the
     * operator should have). A store without Object Lock answers 501 Not Implemented: it never held the object.
     */
    public void liftLegalHold(String key) {
        try {
            client.putObjectLegalHold(b -> b.bucket(bucket()).key(key).legalHold(h -> h.status(ObjectLockLegalHoldStatus.OFF)));
        } catch (S3Exception e) {
            if (e.statusCode() != 501) {
                throw e;
            }
        }
    }

    /** The object's bytes. */
    public byte[] get(String key) {
        return client.getObjectAsBytes(b -> b.bucket(bucket()).key(key)).asByteArray();
    }

    /** The object's bytes, or null if there is none. */
    public byte[] getIfPresent(String key) {
        try {
            return get(key);
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
