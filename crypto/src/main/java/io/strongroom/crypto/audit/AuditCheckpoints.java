package io.strongroom.crypto.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import io.strongroom.avro.AuditEvent;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.WrappedDek;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * Signed checkpoints of the audit trail's chain heads, so that even a rewritten audit topic — every
 * event re-chained with valid hashes, which anyone with write access to the topic can compute — is
 * detected: a checkpoint records, for each emitter, the sequence and hash of its newest event, signed
 * with Ed25519 (Tink {@link PublicKeySign}) and stored outside Kafka (S3, with Object Lock where
 * available). A topic whose events no longer match a checkpoint was rewritten.
 *
 * <p>The checkpoints form a chain (format {@value #FORMAT_VERSION}): each names its {@code sequence} (0 for the first)
 * and the SHA-256 of its predecessor's stored bytes ({@code previousSha256}, null for the first), so that a reader
 * ({@link #chain}) can tell a checkpoint deleted in the middle (a gap), one replaced by another validly signed one (its
 * successor names other bytes) and two writers continuing the same predecessor (a fork); deleting the newest ones
 * (rolling the anchor back) leaves a newest checkpoint that only ages, which readers compare with the signing interval.
 * Checkpoints of format {@value #FORMAT_UNLINKED}, written before the chain, name no predecessor: they are still read
 * and checked against the topic as before, but they are not part of the chain, which starts at the first checkpoint
 * of format {@value #FORMAT_VERSION} (sequence 0, no predecessor).
 *
 * <p>The signing key is an Ed25519 keyset encrypted with a data key of the KMS (envelope encryption,
 * KEK of the pseudo-tenant {@link #KEY_TENANT}): every use is a KMS unwrap, audited like any other.
 * Verification needs only the public keyset, which verifiers pin in their configuration.
 */
public final class AuditCheckpoints {
    /** The KEK the signing key is wrapped under is this pseudo-tenant's. */
    public static final String KEY_TENANT = "strongroom-audit";
    /** Format of the checkpoints written now: linked to their predecessor. */
    public static final int FORMAT_VERSION = 2;
    /** Format of the checkpoints written before the chain: no sequence, no predecessor. Still read. */
    public static final int FORMAT_UNLINKED = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static {
        try {
            SignatureConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AuditCheckpoints() {}

    /**
     * One emitter's newest event at checkpoint time.
     *
     * @param emitter emitter
     * @param sequence its sequence
     * @param hash its hash, hex
     * @param position where it was read (topic/partition/offset)
     */
    public record Head(String emitter, long sequence, String hash, String position) {}

    /**
     * What a checkpoint attests.
     *
     * @param formatVersion {@link #FORMAT_VERSION}, or {@link #FORMAT_UNLINKED} for one written before the chain
     * @param environment environment
     * @param sequence its place in the chain, 0 for the first; null in format {@value #FORMAT_UNLINKED}
     * @param createdAtMs when it was made
     * @param events events read to make it
     * @param previousSha256 SHA-256 (hex) of the stored bytes of checkpoint {@code sequence - 1}; null for the first
     *     and in format {@value #FORMAT_UNLINKED}
     * @param heads every emitter's newest event
     */
    public record Body(int formatVersion, String environment, Long sequence, long createdAtMs, long events,
            String previousSha256, List<Head> heads) {
        /** Whether it is part of the chain (format {@value #FORMAT_VERSION}). */
        public boolean linked() {
            return formatVersion >= FORMAT_VERSION;
        }
    }

    /**
     * A checkpoint as read.
     *
     * @param where where it was read
     * @param body its verified body
     * @param sha256 SHA-256 (hex) of its stored bytes: what its successor names
     */
    public record Stored(String where, Body body, String sha256) {}

    /**
     * A checkpoint as stored: the body as JSON text, exactly the bytes signed, and its signature.
     *
     * @param body the {@link Body} as JSON
     * @param signature Ed25519 signature of {@code body}'s UTF-8 bytes, base64
     */
    public record Signed(String body, String signature) {}

    /**
     * The signing key as stored (no secret in the clear).
     *
     * @param wrappedDek the data key that encrypts the private keyset, wrapped by the KMS
     * @param encryptedKeyset the Ed25519 private keyset, encrypted with that data key, base64
     * @param publicKeyset the public keyset, Tink JSON: what verifiers pin
     */
    public record SigningKey(WrappedDekJson wrappedDek, String encryptedKeyset, String publicKeyset) {}

    /** A {@link WrappedDek} as JSON. */
    public record WrappedDekJson(String keyId, String keyVersion, String algorithm, String bytes) {
        static WrappedDekJson of(WrappedDek w) {
            return new WrappedDekJson(w.keyId(), w.keyVersion(), w.algorithm(), Base64.getEncoder().encodeToString(w.bytes()));
        }

        WrappedDek toWrappedDek() {
            return new WrappedDek(keyId, keyVersion, algorithm, Base64.getDecoder().decode(bytes));
        }
    }

    private static DekContext context(String environment) {
        return new DekContext(environment, KEY_TENANT, "audit-signing-key");
    }

    /** Makes a new signing key, its private half encrypted under the KMS; returns it as stored (JSON). */
    public static byte[] newSigningKey(ManagedKms kms, String environment, Duration timeout) {
        try {
            KeysetHandle privateKeyset = KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519);
            String keyId = Kmses.await(kms.createKek(KEY_TENANT), timeout);
            DataKey dek = Kmses.await(kms.generateDek(keyId, context(environment)), timeout);
            byte[] encrypted = TinkProtoKeysetFormat.serializeEncryptedKeyset(privateKeyset, dek.aead(),
                    environment.getBytes(StandardCharsets.UTF_8));
            String publicKeyset = TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(privateKeyset.getPublicKeysetHandle());
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new SigningKey(WrappedDekJson.of(dek.wrapped()),
                    Base64.getEncoder().encodeToString(encrypted), publicKeyset));
        } catch (GeneralSecurityException | JsonProcessingException e) {
            throw new IllegalStateException("cannot make an audit signing key: " + e.getMessage(), e);
        }
    }

    /** The public keyset (Tink JSON) of a stored signing key. */
    public static String publicKeyset(String where, byte[] signingKey) {
        return readSigningKey(where, signingKey).publicKeyset();
    }

    /** A signer for a stored signing key; unwraps its data key through {@code kms} (audited there). */
    public static PublicKeySign signer(String where, byte[] signingKey, Kms kms, String environment, Duration timeout) {
        return keys(where, signingKey, kms, environment, timeout).signer();
    }

    /**
     * A signer and the verifier of its own public half.
     *
     * @param signer signs checkpoints
     * @param verifier verifies with the public half of the decrypted private keyset (not the stored public keyset,
     *     which whoever can write the bucket could replace): how a writer authenticates its predecessor
     */
    public record Keys(PublicKeySign signer, PublicKeyVerify verifier) {}

    /**
     * Where a store gets the signing key from without holding a KMS itself: {@link #make} a new stored signing key,
     * {@link #open} a stored one into its signer. {@link #through} is the KMS's.
     */
    public interface KeySource {
        /** A new signing key, as stored. */
        byte[] make();

        /** The signer and verifier of the stored signing key {@code stored}, read at {@code where}. */
        Keys open(String where, byte[] stored);
    }

    /** Signing keys made and opened through {@code kms} (each open an audited unwrap). */
    public static KeySource through(ManagedKms kms, String environment, Duration timeout) {
        return new KeySource() {
            @Override
            public byte[] make() {
                return newSigningKey(kms, environment, timeout);
            }

            @Override
            public Keys open(String where, byte[] stored) {
                return keys(where, stored, kms, environment, timeout);
            }
        };
    }

    /** The signer of a stored signing key and its verifier; unwraps its data key through {@code kms} (audited there). */
    public static Keys keys(String where, byte[] signingKey, Kms kms, String environment, Duration timeout) {
        SigningKey key = readSigningKey(where, signingKey);
        try {
            var aead = Kmses.await(kms.unwrapDek(key.wrappedDek().toWrappedDek(), context(environment)), timeout);
            KeysetHandle privateKeyset = TinkProtoKeysetFormat.parseEncryptedKeyset(
                    Base64.getDecoder().decode(key.encryptedKeyset()), aead, environment.getBytes(StandardCharsets.UTF_8));
            return new Keys(privateKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class),
                    privateKeyset.getPublicKeysetHandle().getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(where + ": the audit signing key does not decrypt: " + e.getMessage(), e);
        }
    }

    /**
     * A verifier for a public keyset (Tink JSON).
     *
     * @throws IllegalArgumentException naming {@code where} if it is not a public signature keyset
     */
    public static PublicKeyVerify verifier(String where, String publicKeyset) {
        try {
            return TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(publicKeyset)
                    .getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(where + " is not a public signature keyset (Tink JSON): " + e.getMessage(), e);
        }
    }

    private static SigningKey readSigningKey(String where, byte[] bytes) {
        try {
            SigningKey key = JSON.readValue(bytes, SigningKey.class);
            if (key.wrappedDek() == null || key.encryptedKeyset() == null || key.publicKeyset() == null) {
                throw new IllegalArgumentException(where + " is not an audit signing key (fields missing)");
            }
            return key;
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " is not an audit signing key: " + e.getMessage(), e);
        }
    }

    /** Every emitter's newest event in {@code events} (topic order), as the first checkpoint of a chain. */
    public static Body heads(String environment, Iterable<AuditVerifier.Positioned> events, Instant now) {
        Tracker tracker = new Tracker();
        events.forEach(tracker::add);
        return tracker.body(environment, now, null);
    }

    /** Every emitter's newest event so far, for events read a batch at a time. Not thread-safe. */
    public static final class Tracker {
        private final Map<String, Head> heads = new LinkedHashMap<>();
        private long count;

        public void add(AuditVerifier.Positioned p) {
            count++;
            AuditEvent e = p.event();
            Head head = heads.get(e.getEmitter());
            if (head == null || e.getSequence() > head.sequence()) {
                heads.put(e.getEmitter(), new Head(e.getEmitter(), e.getSequence(), hex(e.getHash()), p.position()));
            }
        }

        /** Events seen. */
        public long count() {
            return count;
        }

        /** The heads seen, as the checkpoint after {@code previous} (null: the first of the chain). */
        public Body body(String environment, Instant now, Stored previous) {
            return body(environment, now, previous == null || !previous.body().linked() ? 0 : previous.body().sequence() + 1,
                    previous);
        }

        /**
         * The heads seen, as checkpoint {@code sequence}, written after {@code previous} (null: none). A sequence beyond
         * {@code previous}'s successor skips names taken by objects that do not authenticate.
         */
        public Body body(String environment, Instant now, long sequence, Stored previous) {
            if (previous != null && (!previous.body().linked() || sequence <= previous.body().sequence())) {
                throw new IllegalArgumentException("checkpoint " + sequence + " cannot follow " + previous.where());
            }
            return new Body(FORMAT_VERSION, environment, sequence, now.toEpochMilli(), count,
                    previous == null ? null : previous.sha256(), List.copyOf(heads.values()));
        }
    }

    /** {@code body}, signed, as stored (JSON). */
    public static byte[] sign(Body body, PublicKeySign signer) {
        try {
            String text = JSON.writeValueAsString(body);
            byte[] signature = signer.sign(text.getBytes(StandardCharsets.UTF_8));
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Signed(text, Base64.getEncoder().encodeToString(signature)));
        } catch (GeneralSecurityException | JsonProcessingException e) {
            throw new IllegalStateException("cannot sign an audit checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * The body of a stored checkpoint whose signature verifies.
     *
     * @throws IllegalArgumentException naming {@code where} if it is unreadable or its signature does not verify
     */
    public static Body open(String where, byte[] bytes, PublicKeyVerify verifier) {
        Signed signed;
        try {
            signed = JSON.readValue(bytes, Signed.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not an audit checkpoint: " + e.getMessage(), e);
        }
        if (signed.body() == null || signed.signature() == null) {
            throw new IllegalArgumentException(where + ": not an audit checkpoint (body or signature missing)");
        }
        try {
            verifier.verify(Base64.getDecoder().decode(signed.signature()), signed.body().getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": the signature does not verify with the pinned public key: "
                    + "a forged or altered checkpoint", e);
        }
        try {
            Body body = JSON.readValue(signed.body(), Body.class);
            if ((body.formatVersion() != FORMAT_VERSION && body.formatVersion() != FORMAT_UNLINKED) || body.heads() == null
                    || body.environment() == null) {
                throw new IllegalArgumentException(where + ": unsupported audit checkpoint format version " + body.formatVersion());
            }
            if (body.linked() && (body.sequence() == null || body.sequence() < 0)) {
                throw new IllegalArgumentException(where + ": signed, but an audit checkpoint of format " + body.formatVersion()
                        + " without a sequence");
            }
            return body;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": signed, but not a checkpoint body: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A stored checkpoint whose signature verifies, with the SHA-256 of its bytes.
     *
     * @throws IllegalArgumentException as {@link #open}
     */
    public static Stored read(String where, byte[] bytes, PublicKeyVerify verifier) {
        return new Stored(where, open(where, bytes, verifier), HexFormat.of().formatHex(Segment.sha256(bytes)));
    }

    /**
     * The checkpoints of an environment as one chain.
     *
     * @param checkpoints every checkpoint read: those of format {@value #FORMAT_UNLINKED} by creation time, then the
     *     chain by sequence
     * @param problems gaps, replaced checkpoints and forks, each naming the objects
     */
    public record Chain(List<Stored> checkpoints, List<String> problems) {
        /** The newest checkpoint (by creation time), or null if there is none. */
        public Stored newest() {
            return checkpoints.stream().max(Comparator.comparingLong(s -> s.body().createdAtMs())).orElse(null);
        }

        /** How old the newest checkpoint is at {@code now}, or null if there is none. */
        public Duration newestAge(Instant now) {
            Stored n = newest();
            return n == null ? null : Duration.between(Instant.ofEpochMilli(n.body().createdAtMs()), now);
        }

        /** The checkpoints' bodies by where they were read, as {@link #check} takes them. */
        public Map<String, Body> bodies() {
            Map<String, Body> out = new LinkedHashMap<>();
            checkpoints.forEach(s -> out.put(s.where(), s.body()));
            return out;
        }
    }

    /**
     * Checks that the linked checkpoints among {@code read} (authenticated) form one chain. A problem, naming the
     * objects, for: checkpoints missing before the first or between two (a gap: the one after names a predecessor that
     * is not there; sequences a writer skipped, its successor naming the checkpoint before them, are no gap), a
     * checkpoint whose successor names other bytes (replaced), and two checkpoints naming the same predecessor (a
     * fork: two writers). Checkpoints of format {@value #FORMAT_UNLINKED} are passed through unchecked.
     *
     * @param whereOf where checkpoint {@code sequence} would lie, to name missing ones
     */
    public static Chain chain(List<Stored> read, LongFunction<String> whereOf) {
        List<Stored> unlinked = new ArrayList<>();
        List<Stored> linked = new ArrayList<>();
        read.forEach(s -> (s.body().linked() ? linked : unlinked).add(s));
        unlinked.sort(Comparator.comparingLong(s -> s.body().createdAtMs()));
        linked.sort(Comparator.comparingLong((Stored s) -> s.body().sequence()).thenComparing(Stored::where));
        List<String> problems = new ArrayList<>();
        Map<String, Stored> bySha = new HashMap<>();
        Map<String, List<Stored>> byPrevious = new LinkedHashMap<>();
        for (Stored s : linked) {
            bySha.putIfAbsent(s.sha256(), s);
            byPrevious.computeIfAbsent(String.valueOf(s.body().previousSha256()), k -> new ArrayList<>()).add(s);
        }
        Set<Stored> forked = new HashSet<>();
        byPrevious.forEach((previous, successors) -> {
            if (successors.size() > 1) {
                forked.addAll(successors);
                Stored before = bySha.get(previous);
                problems.add(String.join(" and ", successors.stream().map(Stored::where).toList()) + ": "
                        + successors.size() + " audit checkpoints " + ("null".equals(previous) ? "each starting the chain"
                        : "written after the same one (" + (before == null ? "SHA-256 " + previous : before.where()) + ")")
                        + ": a fork, two writers signing checkpoints");
            }
        });
        if (!linked.isEmpty() && linked.get(0).body().sequence() > 0 && linked.get(0).body().previousSha256() != null) {
            Stored first = linked.get(0);
            problems.add(missing(whereOf, 0, first.body().sequence() - 1) + " missing before " + first.where()
                    + " (sequence " + first.body().sequence() + "), the first remaining of the chain: deleted");
        }
        for (int i = 1; i < linked.size(); i++) {
            Stored before = linked.get(i - 1);
            Stored s = linked.get(i);
            if (forked.contains(s) || before.sha256().equals(s.body().previousSha256())) {
                continue; // named as a fork, or the successor it names (perhaps past sequences skipped)
            }
            long b = before.body().sequence();
            long n = s.body().sequence();
            if (n == b) {
                problems.add(before.where() + " and " + s.where() + ": two audit checkpoints with sequence " + n);
            } else if (n > b + 1) {
                problems.add(missing(whereOf, b + 1, n - 1) + " missing between " + before.where() + " (sequence " + b
                        + ") and " + s.where() + " (sequence " + n + "), which was written after another: deleted");
            } else {
                problems.add(before.where() + " (sequence " + b + "): replaced: its SHA-256 is " + before.sha256() + ", but "
                        + s.where() + ", the checkpoint after it, was written after one with SHA-256 "
                        + s.body().previousSha256());
            }
        }
        List<Stored> all = new ArrayList<>(unlinked);
        all.addAll(linked);
        return new Chain(List.copyOf(all), List.copyOf(problems));
    }

    private static String missing(LongFunction<String> whereOf, long from, long to) {
        return from == to ? whereOf.apply(from) + ": audit checkpoint " + from
                : whereOf.apply(from) + " to " + whereOf.apply(to) + ": audit checkpoints " + from + "-" + to;
    }

    /**
     * Problems of {@code events} (topic order) against checkpoints: every head a checkpoint signed must still be there,
     * the same event (emitter, sequence and hash). One line per mismatch, naming the checkpoint.
     *
     * @param checkpoints verified checkpoints, by where they were read
     */
    public static List<String> check(Map<String, Body> checkpoints, Iterable<AuditVerifier.Positioned> events) {
        Map<String, Map<Long, String>> wanted = new HashMap<>();
        checkpoints.values().forEach(b -> b.heads().forEach(h ->
                wanted.computeIfAbsent(h.emitter(), k -> new HashMap<>()).put(h.sequence(), null)));
        for (AuditVerifier.Positioned p : events) {
            Map<Long, String> bySequence = wanted.get(p.event().getEmitter());
            if (bySequence != null && bySequence.containsKey(p.event().getSequence())) {
                bySequence.put(p.event().getSequence(), hex(p.event().getHash()));
            }
        }
        List<String> problems = new ArrayList<>();
        checkpoints.forEach((where, body) -> {
            for (Head h : body.heads()) {
                String found = wanted.get(h.emitter()).get(h.sequence());
                String at = where + " (signed " + Instant.ofEpochMilli(body.createdAtMs()) + "): emitter " + h.emitter()
                        + " sequence " + h.sequence() + " (was at " + h.position() + ")";
                if (found == null) {
                    problems.add(at + " is no longer in the audit trail: events were deleted or the topic was rewritten");
                } else if (!found.equals(h.hash())) {
                    problems.add(at + " has another hash now: the audit topic was rewritten");
                }
            }
        });
        return problems;
    }

    private static String hex(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return HexFormat.of().formatHex(out);
    }
}
