package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries transient KMS failures ({@link KmsUnavailableException}) with exponential backoff and
 * jitter. Never retries an unknown, disabled or destroyed key, nor a failed authentication, and
 * never retries operations that are not idempotent (rotate, disable, enable, destroy): a retried
 * rotation could create two versions.
 */
public final class ResilientKms extends ForwardingKms {
    private static final Logger LOG = LoggerFactory.getLogger(ResilientKms.class);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "strongroom-kms-retry");
        t.setDaemon(true);
        return t;
    });

    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int maxAttempts;

    private ResilientKms(ManagedKms delegate, Duration initialBackoff, Duration maxBackoff, int maxAttempts) {
        super(delegate);
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxAttempts = maxAttempts;
    }

    /**
     * Wraps {@code delegate}.
     *
     * @param maxAttempts attempts in all, the first included (at least 1)
     */
    public static ManagedKms wrap(ManagedKms delegate, Duration initialBackoff, Duration maxBackoff, int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        return new ResilientKms(delegate, initialBackoff, maxBackoff, maxAttempts);
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return retried("createKek", () -> delegate.createKek(tenant));
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return retried("generateDek", () -> delegate.generateDek(keyId, context));
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return retried("unwrapDek", () -> delegate.unwrapDek(wrapped, context));
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return retried("unwrapDekKeyset", () -> delegate.unwrapDekKeyset(wrapped, context));
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return retried("wrapDek", () -> delegate.wrapDek(keyId, dek, context));
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return retried("describe", () -> delegate.describe(keyId));
    }

    private <T> CompletionStage<T> retried(String operation, Supplier<CompletionStage<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(operation, call, 1, initialBackoff, result);
        return result;
    }

    private <T> void attempt(String operation, Supplier<CompletionStage<T>> call, int attempt, Duration backoff,
            CompletableFuture<T> result) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof KmsUnavailableException) || attempt >= maxAttempts) {
                result.completeExceptionally(cause);
                return;
            }
            long jittered = backoff.toMillis() / 2 + ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1);
            LOG.atWarn().addKeyValue("operation", operation).addKeyValue("attempt", attempt).addKeyValue("retryInMs", jittered)
                    .log("KMS unavailable, retrying: {}", cause.getMessage());
            Duration next = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
            TIMER.schedule(() -> attempt(operation, call, attempt + 1, next, result), jittered, TimeUnit.MILLISECONDS);
        });
    }
}
