package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Micrometer metrics of a {@link ManagedKms}, both halves: {@code strongroom.kms.calls} (timer) tagged with
 * {@code operation}, {@code backend} (the key id scheme) and {@code outcome} ({@code success} or
 * the failure's exception type).
 */
public final class MeteredKms extends ForwardingKms {
    private final MeterRegistry registry;

    private MeteredKms(ManagedKms delegate, MeterRegistry registry) {
        super(delegate);
        this.registry = registry;
    }

    public static ManagedKms wrap(ManagedKms delegate, MeterRegistry registry) {
        return new MeteredKms(delegate, registry);
    }

    private <T> CompletionStage<T> timed(String operation, String keyId, Supplier<CompletionStage<T>> call) {
        long start = System.nanoTime();
        String backend = keyId == null || !keyId.contains("://") ? "unknown" : keyId.substring(0, keyId.indexOf("://"));
        return call.get().whenComplete((v, e) -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            Timer.builder("strongroom.kms.calls").description("KMS calls and their latency")
                    .tag("operation", operation).tag("backend", backend)
                    .tag("outcome", cause == null ? "success" : cause.getClass().getSimpleName())
                    .register(registry).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return timed("createKek", delegate.keyIdFor(tenant), () -> delegate.createKek(tenant));
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        return timed("rotate", keyId, () -> delegate.rotate(keyId));
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return timed("generateDek", keyId, () -> delegate.generateDek(keyId, context));
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return timed("unwrapDek", wrapped.keyId(), () -> delegate.unwrapDek(wrapped, context));
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return timed("unwrapDekKeyset", wrapped.keyId(), () -> delegate.unwrapDekKeyset(wrapped, context));
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return timed("wrapDek", keyId, () -> delegate.wrapDek(keyId, dek, context));
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        return timed("disable", keyId, () -> delegate.disable(keyId, version));
    }

    @Override
    public CompletionStage<KeyVersion> enable(String keyId, String version) {
        return timed("enable", keyId, () -> delegate.enable(keyId, version));
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when, DestroyApproval approval) {
        return timed("scheduleDestroy", keyId, () -> delegate.scheduleDestroy(keyId, version, when, approval));
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        return timed("destroy", keyId, () -> delegate.destroy(keyId, version));
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return timed("describe", keyId, () -> delegate.describe(keyId));
    }

}
