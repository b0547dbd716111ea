package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A {@link ManagedKms} that forwards every call, data plane and key administration, to a delegate; decorators
 * override what they change.
 */
public abstract class ForwardingKms implements ManagedKms {
    protected final ManagedKms delegate;

    protected ForwardingKms(ManagedKms delegate) {
        this.delegate = delegate;
    }

    @Override
    public String keyIdFor(String tenant) {
        return delegate.keyIdFor(tenant);
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return delegate.createKek(tenant);
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        return delegate.rotate(keyId);
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return delegate.generateDek(keyId, context);
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return delegate.unwrapDek(wrapped, context);
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return delegate.unwrapDekKeyset(wrapped, context);
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return delegate.wrapDek(keyId, dek, context);
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        return delegate.disable(keyId, version);
    }

    @Override
    public CompletionStage<KeyVersion> enable(String keyId, String version) {
        return delegate.enable(keyId, version);
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when, DestroyApproval approval) {
        return delegate.scheduleDestroy(keyId, version, when, approval);
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        return delegate.destroy(keyId, version);
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return delegate.describe(keyId);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
