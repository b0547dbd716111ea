package io.strongroom.testkit;

import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.KmsUnavailableException;
import io.strongroom.crypto.kms.WrappedDek;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A KMS that can be taken down (every call fails as unavailable) and brought back, counting calls. */
public final class FlakyKms {
    private final ManagedKms kms;
    private volatile boolean down;
    private final AtomicInteger failNext = new AtomicInteger();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();

    private FlakyKms(ManagedKms delegate) {
        this.kms = (ManagedKms) Proxy.newProxyInstance(ManagedKms.class.getClassLoader(), new Class<?>[] {ManagedKms.class}, (proxy, method, args) -> {
            boolean async = CompletionStage.class.isAssignableFrom(method.getReturnType());
            if (async) {
                calls.computeIfAbsent(method.getName(), k -> new AtomicInteger()).incrementAndGet();
                if (down || failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    return CompletableFuture.failedFuture(new KmsUnavailableException("KMS is down (test)", null));
                }
                String keyId = args == null || args.length == 0 ? null
                        : args[0] instanceof String s ? s : args[0] instanceof WrappedDek w ? w.keyId() : null;
                if (keyId != null && denied.contains(keyId)) {
                    return CompletableFuture.failedFuture(new KeyDisabledException(
                            "key " + keyId + " is disabled (test)"));
                }
            }
            try {
                return method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    public static FlakyKms wrap(ManagedKms delegate) {
        return new FlakyKms(delegate);
    }

    /** The KMS to hand to the code under test. */
    public ManagedKms kms() {
        return kms;
    }

    public void goDown() {
        down = true;
    }

    public void comeBack() {
        down = false;
    }

    /** Every call about {@code keyId} fails as disabled until {@link #allow}. */
    public void deny(String keyId) {
        denied.add(keyId);
    }

    public void allow(String keyId) {
        denied.remove(keyId);
    }

    /** The next {@code n} calls fail as unavailable. */
    public void failNext(int n) {
        failNext.set(n);
    }

    /** Calls of {@code method} so far. */
    public int calls(String method) {
        AtomicInteger n = calls.get(method);
        return n == null ? 0 : n.get();
    }
}
