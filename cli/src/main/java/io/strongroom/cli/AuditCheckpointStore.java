package io.strongroom.cli;

import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.crypto.kms.Kms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where the audit signing key and the signed checkpoints live: {@code {env}/_audit/signing-key.json} and
 * {@code {env}/_audit/checkpoints/{createdAtMs}.json} in the {@code s3} bucket, written once each
 * ({@code If-None-Match}) and, with {@code archiver.object-lock}, locked for {@code audit.checkpoint-retention}.
 */
final class AuditCheckpointStore {
    private final StrongroomConfig config;
    private final S3Client s3;

    AuditCheckpointStore(StrongroomConfig config, S3Client s3) {
        this.config = config;
        this.s3 = s3;
    }

    String keyObject() {
        return ArchiveLayout.auditSigningKey(config.environment());
    }

    String checkpointPrefix() {
        return ArchiveLayout.auditCheckpointsPrefix(config.environment());
    }

    private ArchiveTarget target() {
        return ArchiveTarget.over(s3, config.s3().bucket()); // the caller's client: never closed here
    }

    private String where(String key) {
        return "s3://" + config.s3().bucket() + "/" + key;
    }

    /** The stored signing key, or null if none was made yet. */
    byte[] signingKey() {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(config.s3().bucket()).key(keyObject())).asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    /** The signing key, made (through {@code kms}) and stored if there is none yet; never replaced. */
    byte[] ensureSigningKey(Kms kms) {
        byte[] existing = signingKey();
        if (existing != null) {
            return existing;
        }
        byte[] made = AuditCheckpoints.newSigningKey(kms, config.environment(), config.kms().timeout());
        // another process made one first: use that one
        return target().putIfAbsent(keyObject(), made, "application/json", null) == ArchiveTarget.Put.CREATED ? made : signingKey();
    }

    /** Signs the chain heads of {@code events} and stores the checkpoint; returns where. */
    String checkpoint(Kms kms, Iterable<AuditVerifier.Positioned> events) {
        AuditCheckpoints.Tracker tracker = new AuditCheckpoints.Tracker();
        events.forEach(tracker::add);
        return checkpoint(kms, tracker);
    }

    /** Signs the chain heads {@code tracker} saw and stores the checkpoint; returns where. */
    String checkpoint(Kms kms, AuditCheckpoints.Tracker tracker) {
        byte[] key = ensureSigningKey(kms);
        var signer = AuditCheckpoints.signer(where(keyObject()), key, kms, config.environment(), config.kms().timeout());
        Instant now = Instant.now();
        byte[] signed = AuditCheckpoints.sign(tracker.body(config.environment(), now), signer);
        String object = ArchiveLayout.auditCheckpointKey(config.environment(), now.toEpochMilli());
        String lock = config.archiver().objectLock();
        // locked: not even a leaked admin credential removes it before it expires
        if (target().putIfAbsent(object, signed, "application/json", lock == null ? null
                : new ArchiveTarget.Lock(lock, now.plus(config.audit().checkpointRetention()))) != ArchiveTarget.Put.CREATED) {
            throw new IllegalStateException(where(object) + " already exists: another checkpoint was made in the same "
                    + "millisecond; try again");
        }
        return where(object);
    }

    /** The pinned verifier, or the stored key's (with {@code warning} told why that is weaker), or null if no key. */
    PublicKeyVerify verifier(java.util.function.Consumer<String> warning) {
        String pinned = config.audit().publicKeyFile();
        if (pinned != null) {
            try {
                return AuditCheckpoints.verifier("audit.public-key-file " + pinned, Files.readString(Path.of(pinned)));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("audit.public-key-file " + pinned + " cannot be read: " + e.getMessage(), e);
            }
        }
        byte[] key = signingKey();
        if (key == null) {
            return null;
        }
        warning.accept("audit.public-key-file is not set: checkpoints are checked with the public key stored in "
                + where(keyObject()) + ", which whoever can rewrite the bucket can replace too; pin it");
        return AuditCheckpoints.verifier(where(keyObject()), AuditCheckpoints.publicKeyset(where(keyObject()), key));
    }

    /**
     * Every checkpoint, verified, by where it lies; one that does not verify becomes a problem instead.
     */
    Map<String, AuditCheckpoints.Body> checkpoints(PublicKeyVerify verifier, List<String> problems) {
        Map<String, AuditCheckpoints.Body> out = new TreeMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(config.s3().bucket()).prefix(checkpointPrefix())).contents()) {
            byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(config.s3().bucket()).key(o.key())).asByteArray();
            try {
                AuditCheckpoints.Body body = AuditCheckpoints.open(where(o.key()), bytes, verifier);
                if (!body.environment().equals(config.environment())) {
                    problems.add(where(o.key()) + ": a checkpoint of environment " + body.environment() + ", not "
                            + config.environment());
                } else {
                    out.put(where(o.key()), body);
                }
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return out;
    }

    /** The public keyset of the stored signing key, as text. */
    String publicKeyset() {
        byte[] key = signingKey();
        return key == null ? null : AuditCheckpoints.publicKeyset(where(keyObject()), key);
    }
}
