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
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signed checkpoints of the audit trail's chain heads, so that even a rewritten audit topic — every
 * event re-chained with valid hashes, which anyone with write access to the topic can compute — is
 * detected: a checkpoint records, for each emitter, the sequence and hash of its newest event, signed
 * with Ed25519 (Tink {@link PublicKeySign}) and stored outside Kafka (S3, with Object Lock where
 * available). A topic whose events no longer match a checkpoint was rewritten.
 *
 * <p>The signing key is an Ed25519 keyset encrypted with a data key of the KMS (envelope encryption,
 * KEK of the pseudo-tenant {@link #KEY_TENANT}): every use is a KMS unwrap, audited like any other.
 * Verification needs only the public keyset, which verifiers pin in their configuration.
 */
public final class AuditCheckpoints {
    /** The KEK the signing key is wrapped under is this pseudo-tenant's. */
    public static final String KEY_TENANT = "strongroom-audit";
    static final int FORMAT_VERSION = 1;
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
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param environment environment
     * @param createdAtMs when it was made
     * @param events events read to make it
     * @param heads every emitter's newest event
     */
    public record Body(int formatVersion, String environment, long createdAtMs, long events, List<Head> heads) {}

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
    public static byte[] newSigningKey(Kms kms, String environment, Duration timeout) {
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
        SigningKey key = readSigningKey(where, signingKey);
        try {
            var aead = Kmses.await(kms.unwrapDek(key.wrappedDek().toWrappedDek(), context(environment)), timeout);
            KeysetHandle privateKeyset = TinkProtoKeysetFormat.parseEncryptedKeyset(
                    Base64.getDecoder().decode(key.encryptedKeyset()), aead, environment.getBytes(StandardCharsets.UTF_8));
            return privateKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
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

    /** Every emitter's newest event in {@code events} (topic order). */
    public static Body heads(String environment, Iterable<AuditVerifier.Positioned> events, Instant now) {
        Tracker tracker = new Tracker();
        events.forEach(tracker::add);
        return tracker.body(environment, now);
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

        public Body body(String environment, Instant now) {
            return new Body(FORMAT_VERSION, environment, now.toEpochMilli(), count, List.copyOf(heads.values()));
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
            if (body.formatVersion() != FORMAT_VERSION || body.heads() == null) {
                throw new IllegalArgumentException(where + ": unsupported audit checkpoint format version " + body.formatVersion());
            }
            return body;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": signed, but not a checkpoint body: " + e.getOriginalMessage(), e);
        }
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
