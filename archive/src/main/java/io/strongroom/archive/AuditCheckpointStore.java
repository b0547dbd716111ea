package io.strongroom.archive;

import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where the audit signing key and the signed checkpoints live: {@code {env}/_audit/signing-key.json} and the
 * checkpoints, named by their sequence in the chain ({@link ArchiveLayout#auditCheckpointKey}; those of format 1 by
 * their creation time), in the {@code s3} bucket, written once each ({@code If-None-Match}) and, with
 * {@code archiver.object-lock}, locked for {@code audit.checkpoint-retention}.
 */
public final class AuditCheckpointStore {
    /**
     * Where and how checkpoints are kept.
     *
     * @param environment the environment
     * @param bucket the bucket ({@code s3.bucket})
     * @param objectLock {@code GOVERNANCE} or {@code COMPLIANCE} to lock each checkpoint ({@code archiver.object-lock}),
     *     or null
     * @param checkpointRetention with {@code objectLock}, how long ({@code audit.checkpoint-retention})
     * @param publicKeyFile the pinned public keyset ({@code audit.public-key-file}), or null
     */
    public record Settings(String environment, String bucket, String objectLock,
            Duration checkpointRetention, String publicKeyFile) {}

    private final Settings settings;
    private final S3Client s3;

    /** A store in {@code s3} (the caller's client: never closed here). */
    public AuditCheckpointStore(Settings settings, S3Client s3) {
        this.settings = settings;
        this.s3 = s3;
    }

    public String keyObject() {
        return ArchiveLayout.auditSigningKey(settings.environment());
    }

    public String checkpointPrefix() {
        return ArchiveLayout.auditCheckpointsPrefix(settings.environment());
    }

    private ArchiveTarget target() {
        return ArchiveTarget.over(s3, settings.bucket()); // the caller's client: never closed here
    }

    private String where(String key) {
        return "s3://" + settings.bucket() + "/" + key;
    }

    /** The stored signing key, or null if none was made yet. */
    public byte[] signingKey() {
        try {
            return s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(keyObject())).asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    /** The signing key, made (by {@code keys}) and stored if there is none yet; never replaced. */
    public byte[] ensureSigningKey(AuditCheckpoints.KeySource keys) {
        byte[] existing = signingKey();
        if (existing != null) {
            return existing;
        }
        byte[] made = keys.make();
        // another process made one first: use that one
        return target().putIfAbsent(keyObject(), made, "application/json", null) == ArchiveTarget.Put.CREATED ? made : signingKey();
    }

    /** Signs the chain heads of {@code events} and stores the checkpoint after the newest one in the store. */
    public AuditCheckpoints.Stored checkpoint(AuditCheckpoints.KeySource source, Iterable<AuditVerifier.Positioned> events) {
        AuditCheckpoints.Tracker tracker = new AuditCheckpoints.Tracker();
        events.forEach(tracker::add);
        return checkpoint(source, tracker, null);
    }

    /**
     * Signs the chain heads {@code tracker} saw and stores them as the checkpoint after {@code previous}, or, if it is
     * null, after the newest checkpoint in the store that authenticates (with the signing key's own public half; a
     * restarted writer so continues the chain). A writer that keeps its last checkpoint and passes it here links past
     * a newer one deleted since, which readers then see as a gap.
     *
     * @throws NameTaken if more than {@value #MAX_SKIPPED} names after {@code previous} are taken
     */
    public AuditCheckpoints.Stored checkpoint(AuditCheckpoints.KeySource source, AuditCheckpoints.Tracker tracker,
            AuditCheckpoints.Stored previous) {
        byte[] key = ensureSigningKey(source);
        var keys = source.open(where(keyObject()), key);
        if (previous == null) {
            previous = newest(keys.verifier()).checkpoint();
        }
        // the first name after the predecessor that is free: names taken by objects this writer did not write (an S3
        // writer squatting on them) are skipped, never a reason to forget the predecessor (forgotten, the newest in the
        // store would be taken instead, and a deleted newest checkpoint would vanish from the chain unseen)
        long sequence = previous == null ? 0 : previous.body().sequence() + 1;
        Instant now = Instant.now();
        String lock = settings.objectLock();
        for (int attempt = 0; ; attempt++) {
            byte[] signed = AuditCheckpoints.sign(tracker.body(settings.environment(), now, sequence, previous), keys.signer());
            String object = ArchiveLayout.auditCheckpointKey(settings.environment(), sequence);
            // locked: not even a leaked admin credential removes it before it expires
            if (target().putIfAbsent(object, signed, "application/json", lock == null ? null
                    : new ArchiveTarget.Lock(lock, now.plus(settings.checkpointRetention()))) == ArchiveTarget.Put.CREATED) {
                return AuditCheckpoints.read(where(object), signed, keys.verifier());
            }
            if (attempt >= MAX_SKIPPED) {
                throw new NameTaken(where(object) + " and the " + MAX_SKIPPED + " names before it after "
                        + (previous == null ? "the start" : previous.where()) + " are taken by objects this writer did not "
                        + "write: no audit checkpoint signed (remove them, and find out who writes there)");
            }
            sequence = Math.addExact(sequence, 1);
        }
    }

    /** At most this many taken names after the predecessor are skipped before a checkpoint gives up. */
    static final int MAX_SKIPPED = 1000;


    /** The name of the checkpoint to write is taken. */
    public static final class NameTaken extends IllegalStateException {
        NameTaken(String message) {
            super(message);
        }
    }

    /**
     * The newest checkpoint of the chain that authenticates (null if none), and the sequence after it (names taken
     * there are skipped when writing, so an object planted under a name, even a huge one, cannot stop the chain).
     */
    public record Newest(AuditCheckpoints.Stored checkpoint, long nextSequence) {}

    private Newest newest(PublicKeyVerify verifier) {
        TreeMap<Long, String> named = new TreeMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(checkpointPrefix())
                .startAfter(ArchiveLayout.auditCheckpointsAfter(settings.environment()))).contents()) {
            long sequence = ArchiveLayout.auditCheckpointSequence(o.key());
            if (sequence >= 0) {
                named.put(sequence, o.key());
            }
        }
        for (var e : named.descendingMap().entrySet()) {
            try {
                AuditCheckpoints.Stored s = readOne(e.getValue(), verifier);
                if (s.body().linked() && s.body().sequence() == e.getKey().longValue()
                        && s.body().environment().equals(settings.environment())) {
                    return new Newest(s, s.body().sequence() + 1);
                }
            } catch (IllegalArgumentException | NoSuchKeyException ignored) {
                // not authentic (readers name it): the chain continues after the newest one that is
            }
        }
        return new Newest(null, 0);
    }

    private AuditCheckpoints.Stored readOne(String key, PublicKeyVerify verifier) {
        byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key)).asByteArray();
        return AuditCheckpoints.read(where(key), bytes, verifier);
    }

    /** The pinned verifier, or the stored key's (with {@code warning} told why that is weaker), or null if no key. */
    public PublicKeyVerify verifier(Consumer<String> warning) {
        String pinned = settings.publicKeyFile();
        if (pinned != null) {
            try {
                return AuditCheckpoints.verifier("audit.public-key-file " + pinned, Files.readString(Path.of(pinned)));
            } catch (IOException e) {
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
    public AuditCheckpoints.Chain chain(PublicKeyVerify verifier) {
        List<String> problems = new ArrayList<>();
        List<AuditCheckpoints.Stored> read = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(checkpointPrefix())).contents()) {
            try {
                AuditCheckpoints.Stored s = readOne(o.key(), verifier);
                long named = ArchiveLayout.auditCheckpointSequence(o.key());
                if (!s.body().environment().equals(settings.environment())) {
                    problems.add(s.where() + ": a checkpoint of environment " + s.body().environment() + ", not "
                            + settings.environment());
                } else if (s.body().linked() && s.body().sequence() != named) {
                    problems.add(s.where() + ": holds audit checkpoint " + s.body().sequence() + ", not the one its name says "
                            + "(copied or moved)");
                } else {
                    read.add(s);
                }
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            } catch (SdkException e) {
                problems.add(where(o.key()) + ": cannot be read: " + e.getMessage());
            }
        }
        AuditCheckpoints.Chain chain = AuditCheckpoints.chain(read,
                sequence -> where(ArchiveLayout.auditCheckpointKey(settings.environment(), sequence)));
        problems.addAll(chain.problems());
        return new AuditCheckpoints.Chain(chain.checkpoints(), List.copyOf(problems));
    }

    /** The public keyset of the stored signing key, as text. */
    public String publicKeyset() {
        byte[] key = signingKey();
        return key == null ? null : AuditCheckpoints.publicKeyset(where(keyObject()), key);
    }
}
