package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A key management service holding per-tenant, versioned key-encryption keys (KEKs).
 *
 * <p>KEK material never leaves the KMS. Data keys (DEKs) are handed out both usable (an
 * {@link Aead}) and wrapped under the tenant's current primary KEK version, bound to a
 * {@link DekContext} that must be presented again to unwrap.
 *
 * <p>Version life cycle: {@code PRIMARY} (wraps and unwraps) → {@code ENABLED} after a rotation
 * (unwraps only) → {@code DISABLED} (reversible) or {@code DESTROY_SCHEDULED} → {@code DESTROYED}
 * (material gone, irreversible). The primary version can be neither disabled nor destroyed.
 *
 * <p>All methods complete exceptionally with a {@link KmsException} — {@link UnknownKeyException},
 * {@link KeyDisabledException}, {@link KeyDestroyedException}, or {@link KmsUnavailableException}
 * for transient failures (the only kind worth retrying) — rather than throwing.
 */
public interface Kms extends AutoCloseable {

    /** The KEK id (a URI whose scheme names the backend) that protects {@code tenant}'s data. */
    String keyIdFor(String tenant);

    /** Creates the tenant's KEK (version 1, primary) unless it exists. Idempotent; returns the key id. */
    CompletionStage<String> createKek(String tenant);

    /** Adds a new version and makes it primary; the previous primary stays usable for unwrapping. */
    CompletionStage<KeyVersion> rotate(String keyId);

    /** Generates a fresh DEK wrapped under the primary version of {@code keyId}, bound to {@code context}. */
    CompletionStage<DataKey> generateDek(String keyId, DekContext context);

    /** Unwraps a DEK with the version named in it; fails for disabled, scheduled or destroyed versions. */
    CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context);

    /**
     * Unwraps a data key as key material, for re-wrapping it under another KEK version or another KMS
     * ({@link #wrapDek}) without touching what it encrypts. Same checks as {@link #unwrapDek}.
     */
    CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context);

    /** Wraps an existing data key under {@code keyId}'s current primary version, bound to {@code context}. */
    CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context);

    /** Stops a non-primary version from unwrapping until {@link #enable}. */
    CompletionStage<KeyVersion> disable(String keyId, String version);

    /** Re-enables a disabled or destroy-scheduled version. */
    CompletionStage<KeyVersion> enable(String keyId, String version);

    /**
     * Marks a non-primary version for destruction at {@code when}; it no longer unwraps. {@code approval} is the
     * approved dual-control request that asks for it, recorded with the version (by backends that keep a registry:
     * {@code local}, {@code pkcs11}); the coordinator destroys only versions that carry one.
     */
    CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when, DestroyApproval approval);

    /** As {@link #scheduleDestroy(String, String, Instant, DestroyApproval)} without an approval: the coordinator will not destroy it. */
    default CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when) {
        return scheduleDestroy(keyId, version, when, null);
    }

    /** Destroys a non-primary version's material for good. */
    CompletionStage<KeyVersion> destroy(String keyId, String version);

    /** Every version of a KEK, oldest first. */
    CompletionStage<List<KeyVersion>> describe(String keyId);

    @Override
    default void close() {}
}
