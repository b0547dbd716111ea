package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.LoggerFactory;

/**
 * A bounded cache of unwrapped DEKs with a time to live, so reading many records of one segment
 * costs one KMS call. Entries are keyed by key id, version, the wrapped bytes' SHA-256 and the
 * context, evicted least-recently-used beyond {@code maxEntries}, and dropped for a key whenever
 * one of its versions is rotated, disabled, scheduled for destruction or destroyed through this
 * instance, or by any process when a {@link KeyEventEviction} follows {@code strongroom.keys} for
 * it ({@link #evict}). Put it inside the auditing layer so that every use is still audited.
 */
public final class CachingKms extends ForwardingKms {
    private record Key(String keyId, String version, ByteBuffer wrappedHash, ByteBuffer context) {}

    private record Entry(Aead aead, long expiresAtNanos) {}

    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final Map<Key, Entry> cache;
    /** keyId/version evicted as no longer usable: not cached again (an unwrap in flight may end after the eviction). */
    private final Set<String> unusable = new HashSet<>();
    private final List<AutoCloseable> owned = new CopyOnWriteArrayList<>();

    private CachingKms(ManagedKms delegate, int maxEntries, Duration ttl, LongSupplier nanoTime) {
        super(delegate);
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** Wraps {@code delegate} with a cache of at most {@code maxEntries} DEKs kept for {@code ttl}. */
    public static CachingKms wrap(ManagedKms delegate, int maxEntries, Duration ttl) {
        return wrap(delegate, maxEntries, ttl, System::nanoTime);
    }

    static CachingKms wrap(ManagedKms delegate, int maxEntries, Duration ttl, LongSupplier nanoTime) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        return new CachingKms(delegate, maxEntries, ttl, nanoTime);
    }

    /** Entries currently cached. */
    public synchronized int size() {
        return cache.size();
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        Key key = new Key(wrapped.keyId(), wrapped.keyVersion(), ByteBuffer.wrap(sha256(wrapped.bytes())),
                ByteBuffer.wrap(context.bytes()));
        synchronized (this) {
            Entry entry = cache.get(key);
            if (entry != null && entry.expiresAtNanos() - nanoTime.getAsLong() > 0) {
                return CompletableFuture.completedFuture(entry.aead());
            }
            cache.remove(key);
        }
        return delegate.unwrapDek(wrapped, context).thenApply(aead -> {
            synchronized (this) {
                if (!unusable.contains(key.keyId() + "/" + key.version())) {
                    cache.put(key, new Entry(aead, nanoTime.getAsLong() + ttlNanos));
                }
            }
            return aead;
        });
    }

    /**
     * Drops every cached data key of {@code keyId} version {@code version}, which was disabled or
     * destroyed (by another process), and caches none of it from now on.
     *
     * @return how many entries were dropped
     */
    public synchronized int evict(String keyId, String version) {
        unusable.add(keyId + "/" + version);
        int before = cache.size();
        cache.keySet().removeIf(k -> k.keyId().equals(keyId) && k.version().equals(version));
        return before - cache.size();
    }

    /** Caches {@code keyId} version {@code version} again (it was enabled again). */
    public synchronized void usable(String keyId, String version) {
        unusable.remove(keyId + "/" + version);
    }

    /** Closes {@code resource} (e.g. its {@link KeyEventEviction}) when this cache closes. */
    public CachingKms closing(AutoCloseable resource) {
        owned.add(resource);
        return this;
    }

    private synchronized void invalidate(String keyId) {
        cache.keySet().removeIf(k -> k.keyId().equals(keyId));
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        invalidate(keyId);
        return delegate.rotate(keyId);
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        invalidate(keyId);
        return delegate.disable(keyId, version);
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when, DestroyApproval approval) {
        invalidate(keyId);
        return delegate.scheduleDestroy(keyId, version, when, approval);
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        invalidate(keyId);
        return delegate.destroy(keyId, version);
    }

    @Override
    public void close() {
        for (AutoCloseable r : owned) {
            try {
                r.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(CachingKms.class).atWarn().log("cannot close {}: {}", r, e.getMessage());
            }
        }
        synchronized (this) {
            cache.clear();
        }
        delegate.close();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
