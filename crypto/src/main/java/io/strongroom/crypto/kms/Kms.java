package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.util.concurrent.CompletionStage;

/**
 * The data plane of a key management service: what the services that seal and open segments (encryptor,
 * ingest, restore) see. It hands out data keys (DEKs) wrapped under a tenant's key-encryption key (KEK) and
 * unwraps them again; it neither creates, rotates, disables nor destroys keys, and never hands out key
 * material (an unwrapped DEK leaves it only as an {@link Aead}). Key administration is {@link KeyAdmin}'s,
 * seen only by the rotation coordinator and the operator commands; a backend implements both, as a
 * {@link ManagedKms}, and is built by its {@link KmsProvider}.
 *
 * <p>KEK material never leaves the KMS. Data keys are handed out both usable (an {@link Aead}) and wrapped
 * under the tenant's current primary KEK version, bound to a {@link DekContext} that must be presented again
 * to unwrap.
 *
 * <p>All methods but {@link #keyIdFor} complete exceptionally with a {@link KmsException} —
 * {@link UnknownKeyException}, {@link KeyDisabledException}, {@link KeyDestroyedException}, or
 * {@link KmsUnavailableException} for transient failures (the only kind worth retrying) — rather than throwing.
 */
public interface Kms extends AutoCloseable {

    /** The KEK id (a URI whose scheme names the backend) that protects {@code tenant}'s data. */
    String keyIdFor(String tenant);

    /** Generates a fresh DEK wrapped under the primary version of {@code keyId}, bound to {@code context}. */
    CompletionStage<DataKey> generateDek(String keyId, DekContext context);

    /** Unwraps a DEK with the version named in it; fails for disabled, scheduled or destroyed versions. */
    CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context);

    /**
     * Wraps an existing data key under {@code keyId}'s current primary version, bound to {@code context} (the
     * target side of a re-wrap: {@link KeyAdmin#unwrapDekKeyset} is the source side).
     */
    CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context);

    @Override
    default void close() {}
}
