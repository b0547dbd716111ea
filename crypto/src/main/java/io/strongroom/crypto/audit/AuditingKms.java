package io.strongroom.crypto.audit;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.DestroyApproval;
import io.strongroom.crypto.kms.KeyDestroyedException;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Records every operation of a {@link ManagedKms}, data plane and key administration, on an {@link AuditTrail}: one record per call, with the
 * principal, action, key, version, tenant, segment and outcome ({@code DENIED} for unknown,
 * disabled or destroyed keys, {@code FAILURE} for other errors). The result reaches the caller
 * only after its record was accepted, so nothing runs unaudited; if the trail fails, so does the call.
 */
public final class AuditingKms implements ManagedKms {
    private final ManagedKms delegate;
    private final AuditTrail trail;
    private final String principal;

    public AuditingKms(ManagedKms delegate, AuditTrail trail, String principal) {
        this.delegate = delegate;
        this.trail = trail;
        this.principal = principal;
    }

    /** The principal every call is recorded under. */
    public String principal() {
        return principal;
    }

    @Override
    public String keyIdFor(String tenant) {
        return delegate.keyIdFor(tenant);
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return audited(delegate.createKek(tenant), AuditAction.CREATE_KEY, tenant, delegate.keyIdFor(tenant), null, null,
                keyId -> null);
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        return audited(delegate.rotate(keyId), AuditAction.ROTATE_KEY, null, keyId, null, null, KeyVersion::version);
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return audited(delegate.generateDek(keyId, context), AuditAction.GENERATE_DEK, context.tenant(), keyId, null,
                context.segmentId(), dek -> dek.wrapped().keyVersion());
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return audited(delegate.unwrapDek(wrapped, context), AuditAction.UNWRAP_DEK, context.tenant(), wrapped.keyId(),
                wrapped.keyVersion(), context.segmentId(), a -> wrapped.keyVersion());
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return audited(delegate.unwrapDekKeyset(wrapped, context), AuditAction.UNWRAP_DEK, context.tenant(), wrapped.keyId(),
                wrapped.keyVersion(), context.segmentId(), v -> null);
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return audited(delegate.wrapDek(keyId, dek, context), AuditAction.REWRAP, context.tenant(), keyId, null,
                context.segmentId(), WrappedDek::keyVersion);
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        return audited(delegate.disable(keyId, version), AuditAction.DISABLE_KEY, null, keyId, version, null, KeyVersion::version);
    }

    @Override
    public CompletionStage<KeyVersion> enable(String keyId, String version) {
        return audited(delegate.enable(keyId, version), AuditAction.ENABLE_KEY, null, keyId, version, null, KeyVersion::version);
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when,
            DestroyApproval approval) {
        return audited(delegate.scheduleDestroy(keyId, version, when, approval), AuditAction.SCHEDULE_DESTROY, null, keyId,
                version, null, KeyVersion::version);
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        return audited(delegate.destroy(keyId, version), AuditAction.DESTROY_KEY, null, keyId, version, null, KeyVersion::version);
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return audited(delegate.describe(keyId), AuditAction.DESCRIBE_KEY, null, keyId, null, null, v -> null);
    }

    private <T> CompletionStage<T> audited(CompletionStage<T> call, AuditAction action, String tenant, String keyId,
            String version, String segmentId, Function<T, String> versionOf) {
        return call.handle((result, error) -> {
            Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
            AuditOutcome outcome = cause == null ? AuditOutcome.SUCCESS
                    : cause instanceof UnknownKeyException || cause instanceof KeyDisabledException
                            || cause instanceof KeyDestroyedException ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
            String v = cause == null && versionOf.apply(result) != null ? versionOf.apply(result) : version;
            trail.record(new AuditRecord(principal, action, outcome, tenant, keyId, v, segmentId,
                    cause == null ? null : cause.getMessage()));
            return result;
        }).thenCompose(result -> call);
    }

    /**
     * Records an action that is not a KMS call (reading a dead letter, a replay...) on the same
     * trail, under the same principal.
     */
    public void record(AuditAction action, AuditOutcome outcome, String tenant, String segmentId, String detail) {
        trail.record(new AuditRecord(principal, action, outcome, tenant, null, null, segmentId, detail));
    }

    /** As {@link #record}, for an action taken on behalf of {@code actor} (an admin API caller). */
    public void recordFor(String actor, AuditAction action, AuditOutcome outcome, String tenant, String keyId, String version,
            String detail) {
        trail.record(new AuditRecord(actor, action, outcome, tenant, keyId, version, null, detail));
    }

    /** Closes the trail (flushing what is in flight) and the delegate. */
    @Override
    public void close() {
        try {
            trail.close();
        } finally {
            delegate.close();
        }
    }
}
