package io.strongroom.crypto.kms;

import com.google.crypto.tink.KeysetHandle;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Key administration of a key management service: creating, rotating, describing, disabling and destroying
 * tenants' key-encryption keys (KEKs), and unwrapping a data key as key material for a re-wrap. Seen only by
 * the rotation coordinator and the operator commands; the services that seal and open segments see the data
 * plane, {@link Kms}, alone (an architecture test holds the two apart).
 *
 * <p>Version life cycle: {@code PRIMARY} (wraps and unwraps) → {@code ENABLED} after a rotation (unwraps only)
 * → {@code DISABLED} (reversible) or {@code DESTROY_SCHEDULED} → {@code DESTROYED} (material gone,
 * irreversible). The primary version can be neither disabled nor destroyed.
 *
 * <p>All methods complete exceptionally with a {@link KmsException} ({@link UnknownKeyException},
 * {@link KeyDisabledException}, {@link KeyDestroyedException}, {@link KmsUnavailableException}) rather than
 * throwing.
 */
public interface KeyAdmin {

    /** Creates the tenant's KEK (version 1, primary) unless it exists. Idempotent; returns the key id. */
    CompletionStage<String> createKek(String tenant);

    /** Adds a new version and makes it primary; the previous primary stays usable for unwrapping. */
    CompletionStage<KeyVersion> rotate(String keyId);

    /** Every version of a KEK, oldest first. */
    CompletionStage<List<KeyVersion>> describe(String keyId);

    /**
     * Unwraps a data key as key material, for re-wrapping it under another KEK version or another KMS
     * ({@link Kms#wrapDek}) without touching what it encrypts. Same checks as {@link Kms#unwrapDek}. Key
     * administration, not data plane: the services that seal and open segments never hold a DEK's material.
     */
    CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context);

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
}
