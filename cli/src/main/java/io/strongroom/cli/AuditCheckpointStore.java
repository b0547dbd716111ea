package io.strongroom.cli;

import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.crypto.kms.ManagedKms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where the audit signing key and the signed checkpoints live: {@code {env}/_audit/signing-key.json} and the
 * checkpoints, named by their sequence in the chain ({@link ArchiveLayout#auditCheckpointKey}; those of format 1 by
 * their creation time), in the {@code s3} bucket, written once each ({@code If-None-Match}) and, with
 * {@code archiver.object-lock}, locked for {@code audit.checkpoint-retention}.
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
    byte[] ensureSigningKey(ManagedKms kms) {
        byte[] existing = signingKey();
        if (existing != null) {
            return existing;
        }
        byte[] made = AuditCheckpoints.newSigningKey(kms, config.environment(), config.kms().timeout());
        // another process made one first: use that one
        return target().putIfAbsent(keyObject(), made, "application/json", null) == ArchiveTarget.Put.CREATED ? made : signingKey();
    }

    /** Signs the chain heads of {@code events} and stores the checkpoint after the newest one in the store. */
    AuditCheckpoints.Stored checkpoint(ManagedKms kms, Iterable<AuditVerifier.Positioned> events) {
        AuditCheckpoints.Tracker tracker = new AuditCheckpoints.Tracker();
        events.forEach(tracker::add);
        return checkpoint(kms, tracker, null);
    }

    /**
     * Signs the chain heads {@code tracker} saw and stores them as the checkpoint after {@code previous}, or, if it is
     * null, after the newest checkpoint in the store that authenticates (with the signing key's own public half; a
     * restarted writer so continues the chain). A writer that keeps its last checkpoint and passes it here links past
     * a newer one deleted since, which readers then see as a gap.
     *
     * @throws NameTaken if the checkpoint's name is taken (another writer, or an object that does not authenticate):
     *     call again with {@code previous} null
     */
    AuditCheckpoints.Stored checkpoint(ManagedKms kms, AuditCheckpoints.Tracker tracker, AuditCheckpoints.Stored previous) {
        byte[] key = ensureSigningKey(kms);
        var keys = AuditCheckpoints.keys(where(keyObject()), key, kms, config.environment(), config.kms().timeout());
        long sequence;
        if (previous == null) {
            Newest newest = newest(keys.verifier());
            previous = newest.checkpoint();
            sequence = newest.nextSequence();
        } else {
            sequence = previous.body().sequence() + 1;
        }
        Instant now = Instant.now();
        byte[] signed = AuditCheckpoints.sign(tracker.body(config.environment(), now, sequence, previous), keys.signer());
        String object = ArchiveLayout.auditCheckpointKey(config.environment(), sequence);
        String lock = config.archiver().objectLock();
        // locked: not even a leaked admin credential removes it before it expires
        if (target().putIfAbsent(object, signed, "application/json", lock == null ? null
                : new ArchiveTarget.Lock(lock, now.plus(config.audit().checkpointRetention()))) != ArchiveTarget.Put.CREATED) {
            throw new NameTaken(where(object) + " already exists: another writer signs audit checkpoints, or "
                    + "this one's predecessor " + (previous == null ? "(none)" : previous.where()) + " is not the newest");
        }
        return AuditCheckpoints.read(where(object), signed, keys.verifier());
    }

    /** The name of the checkpoint to write is taken. */
    static final class NameTaken extends IllegalStateException {
        NameTaken(String message) {
            super(message);
        }
    }

    /**
     * The newest checkpoint of the chain that authenticates (null if none), and the sequence to write next: past every
     * name taken, so that an object planted under the next name (perhaps locked) cannot stop the chain.
     */
    record Newest(AuditCheckpoints.Stored checkpoint, long nextSequence) {}

    private Newest newest(PublicKeyVerify verifier) {
        java.util.TreeMap<Long, String> named = new java.util.TreeMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(config.s3().bucket()).prefix(checkpointPrefix())
                .startAfter(ArchiveLayout.auditCheckpointsAfter(config.environment()))).contents()) {
            long sequence = ArchiveLayout.auditCheckpointSequence(o.key());
            if (sequence >= 0) {
                named.put(sequence, o.key());
            }
        }
        long next = named.isEmpty() ? 0 : named.lastKey() + 1;
        for (var e : named.descendingMap().entrySet()) {
            try {
                AuditCheckpoints.Stored s = readOne(e.getValue(), verifier);
                if (s.body().linked() && s.body().sequence() == e.getKey().longValue()
                        && s.body().environment().equals(config.environment())) {
                    return new Newest(s, next);
                }
            } catch (IllegalArgumentException | NoSuchKeyException ignored) {
                // not authentic (readers name it): the chain continues after the newest one that is
            }
        }
        return new Newest(null, next);
    }

    private AuditCheckpoints.Stored readOne(String key, PublicKeyVerify verifier) {
        byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(config.s3().bucket()).key(key)).asByteArray();
        return AuditCheckpoints.read(where(key), bytes, verifier);
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
     * Every checkpoint, verified, as one chain ({@link AuditCheckpoints#chain}): one that does not verify, is of another
     * environment or lies under another checkpoint's name is a problem instead; so are gaps, replaced checkpoints and
     * forks of the chain.
     */
    AuditCheckpoints.Chain chain(PublicKeyVerify verifier) {
        List<String> problems = new ArrayList<>();
        List<AuditCheckpoints.Stored> read = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(config.s3().bucket()).prefix(checkpointPrefix())).contents()) {
            try {
                AuditCheckpoints.Stored s = readOne(o.key(), verifier);
                long named = ArchiveLayout.auditCheckpointSequence(o.key());
                if (!s.body().environment().equals(config.environment())) {
                    problems.add(s.where() + ": a checkpoint of environment " + s.body().environment() + ", not "
                            + config.environment());
                } else if (s.body().linked() && s.body().sequence() != named) {
                    problems.add(s.where() + ": holds audit checkpoint " + s.body().sequence() + ", not the one its name says "
                            + "(copied or moved)");
                } else {
                    read.add(s);
                }
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            } catch (software.amazon.awssdk.core.exception.SdkException e) {
                problems.add(where(o.key()) + ": cannot be read: " + e.getMessage());
            }
        }
        AuditCheckpoints.Chain chain = AuditCheckpoints.chain(read,
                sequence -> where(ArchiveLayout.auditCheckpointKey(config.environment(), sequence)));
        problems.addAll(chain.problems());
        return new AuditCheckpoints.Chain(chain.checkpoints(), List.copyOf(problems));
    }

    /** The public keyset of the stored signing key, as text. */
    String publicKeyset() {
        byte[] key = signingKey();
        return key == null ? null : AuditCheckpoints.publicKeyset(where(keyObject()), key);
    }
}
