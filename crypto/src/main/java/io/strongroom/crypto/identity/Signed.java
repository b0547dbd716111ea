package io.strongroom.crypto.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.crypto.identity.UntrustedObjectException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Set;

/**
 * The signed envelope of every object a reader relies on (format 1). JSON:
 *
 * <pre>
 * {"signedFormat": 1, "type": "manifest", "environment": "prod", "context": "&lt;the object's name&gt;",
 *  "role": "ARCHIVER", "keyId": "archiver-…", "signedAtMs": …,
 *  "payload": "&lt;base64 of the payload's exact bytes&gt;", "signature": "&lt;base64 Ed25519 signature&gt;"}
 * </pre>
 *
 * The signature covers, with each text field's UTF-8 bytes prefixed by their length (4 bytes, big
 * endian) so no two field lists share a message:
 *
 * <pre>
 * "strongroom-signed-v1" | type | environment | context | role | keyId | signedAtMs (decimal) | payload
 * </pre>
 *
 * Binding the context (the object's name) means a signed object moved to another name — another
 * tenant's prefix, another part's place — no longer verifies.
 */
public final class Signed {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final byte[] MARK = "{\"signedFormat\"".getBytes(StandardCharsets.UTF_8);

    record Envelope(int signedFormat, String type, String environment, String context, String role, String keyId,
            long signedAtMs, String payload, String signature) {}

    /**
     * What an opened envelope holds.
     *
     * @param payload the payload's bytes, as signed
     * @param keyId who signed
     * @param role as what
     * @param signedAtMs when, by the signer's clock
     */
    public record Opened(byte[] payload, String keyId, Role role, long signedAtMs) {}

    private Signed() {}

    /** {@code payload} signed by {@code id} as an object of {@code type} stored at {@code context}. */
    public static byte[] sign(SigningIdentity id, String type, String context, byte[] payload) {
        long now = System.currentTimeMillis();
        byte[] signature = id.sign(message(type, id.environment(), context, id.role().name(), id.keyId(), now, payload));
        try {
            return JSON.writeValueAsBytes(new Envelope(FORMAT, type, id.environment(), context,
                    id.role().name(), id.keyId(), now, Base64.getEncoder().encodeToString(payload),
                    Base64.getEncoder().encodeToString(signature)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code bytes} look like an envelope (else: an object written before signing). */
    public static boolean isEnvelope(byte[] bytes) {
        int j = 0;
        for (int i = 0; i < bytes.length && j < MARK.length; i++) {
            if (j == 1 && Character.isWhitespace(bytes[i])) {
                continue; // {  "signedFormat"
            }
            if (bytes[i] != MARK[j++]) {
                return false;
            }
        }
        return j == MARK.length;
    }

    /**
     * Opens an envelope, verifying it.
     *
     * @param where how to name it in errors, e.g. {@code s3://bucket/key}
     * @param allowed the roles that may write this type
     * @throws UntrustedObjectException naming {@code where}, the reason and the signer
     */
    public static Opened open(String where, byte[] bytes, String type, String context, TrustFile trust, Set<Role> allowed) {
        if (!isEnvelope(bytes)) {
            throw new UntrustedObjectException(Reason.UNSIGNED, where + ": unsigned (written before signed format " + FORMAT
                    + ", or by someone without a signing identity)");
        }
        Envelope e;
        byte[] payload;
        byte[] signature;
        try {
            e = JSON.readValue(bytes, Envelope.class);
            payload = Base64.getDecoder().decode(e.payload());
            signature = Base64.getDecoder().decode(e.signature());
        } catch (IOException | IllegalArgumentException | NullPointerException x) {
            throw new UntrustedObjectException(Reason.MALFORMED, where + ": not a valid signed envelope: " + x.getMessage());
        }
        if (e.signedFormat() != FORMAT || e.type() == null || e.context() == null || e.role() == null || e.keyId() == null
                || e.environment() == null) {
            throw new UntrustedObjectException(Reason.MALFORMED, where + ": not a signed envelope of format " + FORMAT);
        }
        String signer = "key " + e.keyId() + " (role " + e.role() + ")";
        Role trustedRole = trust.roleOf(e.keyId());
        PublicKeyVerify verifier = trust.verifierOf(e.keyId());
        if (verifier == null) {
            throw new UntrustedObjectException(Reason.UNKNOWN_KEY, where + ": signed by " + signer
                    + ", which the trust file does not hold");
        }
        try {
            verifier.verify(signature, message(e.type(), e.environment(), e.context(), e.role(), e.keyId(), e.signedAtMs(),
                    payload));
        } catch (GeneralSecurityException x) {
            throw new UntrustedObjectException(Reason.BAD_SIGNATURE, where + ": the signature of " + signer
                    + " does not verify: the object was altered after signing");
        }
        if (!trustedRole.name().equals(e.role()) || !allowed.contains(trustedRole)) {
            throw new UntrustedObjectException(Reason.WRONG_ROLE, where + ": signed by " + e.keyId() + " (role " + trustedRole
                    + "), which may not sign a " + type + " (allowed: " + allowed + ")");
        }
        if (!e.environment().equals(trust.environment())) {
            throw new UntrustedObjectException(Reason.WRONG_ENVIRONMENT, where + ": signed for environment "
                    + e.environment() + ", not " + trust.environment());
        }
        if (!e.type().equals(type)) {
            throw new UntrustedObjectException(Reason.WRONG_TYPE, where + ": a signed " + e.type() + ", not a " + type);
        }
        if (!e.context().equals(context)) {
            throw new UntrustedObjectException(Reason.WRONG_CONTEXT, where + ": signed for " + e.context()
                    + ", not for where it lies (moved or copied)");
        }
        return new Opened(payload, e.keyId(), trustedRole, e.signedAtMs());
    }

    /**
     * The payload of an envelope without verifying it, for a reader configured without a trust file (it reports the
     * archive as not authenticated); {@code bytes} themselves if they are not an envelope.
     */
    public static byte[] unverifiedPayload(String where, byte[] bytes) {
        if (!isEnvelope(bytes)) {
            return bytes;
        }
        try {
            return Base64.getDecoder().decode(JSON.readValue(bytes, Envelope.class).payload());
        } catch (IOException | IllegalArgumentException | NullPointerException x) {
            throw new UntrustedObjectException(Reason.MALFORMED, where + ": not a valid signed envelope: " + x.getMessage());
        }
    }

    static byte[] message(String type, String environment, String context, String role, String keyId, long at, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 256);
        for (String field : new String[] {"strongroom-signed-v1", type, environment, context, role, keyId, Long.toString(at)}) {
            byte[] b = field.getBytes(StandardCharsets.UTF_8);
            out.write(b.length >>> 24);
            out.write(b.length >>> 16);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.writeBytes(payload);
        return out.toByteArray();
    }
}
