package io.strongroom.ingest;

import com.google.crypto.tink.subtle.Hkdf;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The digest a dead letter keeps of the rejected record's value ({@code DeadLetter.payloadSha256}): HMAC-SHA256 under
 * a per-environment key, so that whoever can read the DLQ cannot confirm a guessed payload (a bare SHA-256 of a
 * low-entropy value, a status or an amount, is found by trying). The environment's key is derived from the configured
 * secret with HKDF-SHA256 (Tink), info {@code "strongroom dlq payload digest v1 | <environment>"}; the secret
 * ({@code ingest.dlq-digest-key-file} or {@code $STRONGROOM_DLQ_DIGEST_KEY}, at least 32 characters) is held by ingest
 * and by whoever runs {@code strongroom dlq show}, like the other secrets: in a file or the environment, never in the YAML.
 */
public final class PayloadDigest {
    /** The smallest secret accepted, in bytes. */
    public static final int MIN_SECRET_BYTES = 32;
    private final SecretKeySpec key;

    private PayloadDigest(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    /**
     * The digest of {@code environment} under {@code secret}.
     *
     * @throws IllegalArgumentException if the secret is shorter than {@link #MIN_SECRET_BYTES}
     */
    public static PayloadDigest of(byte[] secret, String environment) {
        Objects.requireNonNull(environment, "environment");
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the DLQ digest key must be at least " + MIN_SECRET_BYTES + " bytes, got "
                    + secret.length);
        }
        try {
            return new PayloadDigest(Hkdf.computeHkdf("HMACSHA256", secret, new byte[0],
                    ("strongroom dlq payload digest v1 | " + environment).getBytes(StandardCharsets.UTF_8), 32));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is not available", e);
        }
    }

    /** HMAC-SHA256 of {@code value}. */
    public byte[] of(byte[] value) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(value);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
        }
    }

    /** Whether {@code recorded} is the digest of {@code value} (compared in constant time). */
    public boolean matches(byte[] value, byte[] recorded) {
        return MessageDigest.isEqual(of(value), recorded);
    }
}
