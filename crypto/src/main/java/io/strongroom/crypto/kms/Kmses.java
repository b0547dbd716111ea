package io.strongroom.crypto.kms;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Helpers for callers that must block on the asynchronous SPI (stream processors, CLI tools). */
public final class Kmses {
    private Kmses() {}

    /**
     * Waits for {@code stage}, rethrowing its {@link KmsException} as is.
     *
     * @throws KmsException if the stage failed, or timed out
     */
    public static <T> T await(CompletionStage<T> stage, Duration timeout) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof KmsException kms) {
                throw kms;
            }
            throw new KmsUnavailableException("KMS call failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new KmsUnavailableException("KMS call timed out after " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsException("interrupted while waiting for the KMS");
        }
    }

    /**
     * Whether {@code keyId} exists, asked without creating it ({@link KeyAdmin#describe}). Only "unknown" counts as no:
     * a disabled key, or a KMS that cannot say (unavailable, timed out), counts as yes, so that the caller takes its
     * usual path and fails or waits there.
     */
    public static boolean hasKek(KeyAdmin admin, String keyId, Duration timeout) {
        try {
            await(admin.describe(keyId), timeout);
            return true;
        } catch (UnknownKeyException e) {
            return false;
        } catch (KmsException e) {
            return true;
        }
    }
}
