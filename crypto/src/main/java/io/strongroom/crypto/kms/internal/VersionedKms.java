package io.strongroom.crypto.kms.internal;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeyRejectedException;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.DestroyApproval;
import io.strongroom.crypto.kms.KeyDestroyedException;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.RegistryIntegrityException;
import io.strongroom.crypto.kms.RegistrySealing;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The KEK version state machine, shared by backends that keep their own key material. A backend
 * supplies three operations: create material for a version, give an {@link Aead} for a version,
 * and destroy a version's material; and the MAC that authenticates the key registry
 * ({@link #registryMac}, under a key only the KMS's key holders have). Versions are numbered 1, 2, ... per tenant.
 */
public abstract class VersionedKms implements ManagedKms, RegistrySealing {
    private static final Pattern TENANT = SystemTenants.NAME;

    private final String scheme;
    private final KeyRegistry registry;
    private final boolean autoCreate;
    private final Clock clock;
    private final Map<String, Aead> keks = new ConcurrentHashMap<>();

    protected VersionedKms(String scheme, Path registryDir, boolean autoCreate, Clock clock) {
        this.scheme = scheme + "://";
        this.registry = new KeyRegistry(registryDir, this::registryMac);
        this.autoCreate = autoCreate;
        this.clock = clock;
    }

    /** Creates the material of a new version; returns what to store in the registry (or null). */
    protected abstract String createMaterial(String tenant, String version) throws GeneralSecurityException;

    /** The KEK of a version, from the material stored for it. */
    protected abstract Aead material(String tenant, String version, String stored) throws GeneralSecurityException;

    /** Destroys a version's material. */
    protected abstract void destroyMaterial(String tenant, String version) throws GeneralSecurityException;

    /**
     * HMAC-SHA256 of {@code data} under the registry key: a key derived from, or held with, the KMS's master
     * secret (the passphrase, the token), so only key holders can write a registry file this KMS accepts.
     */
    protected abstract byte[] registryMac(byte[] data) throws GeneralSecurityException;

    @Override
    public List<String> sealRegistry() {
        return registry.tenants().stream().filter(registry::seal).toList();
    }

    @Override
    public Path registryFile(String tenant) {
        return registry.file(tenant);
    }

    /**
     * Runs {@code work} with the registry's state of a version — null when the registry names no
     * such version (or tenant) — while the tenant's registry is locked, so that no version of the
     * tenant is created or changed until it returns. For backends that clean up material no
     * version names.
     */
    protected final <T> T withRegistryState(String tenant, String version, Function<KeyState, T> work) {
        return registry.locked(tenant, entry -> {
            KeyRegistry.Version v = entry == null ? null : entry.version(version);
            return work.apply(v == null ? null : v.state());
        });
    }

    /** Whether {@code tenant} is a well-formed tenant name (what a key id may carry). */
    protected static boolean validTenant(String tenant) {
        return TENANT.matcher(tenant).matches();
    }

    @Override
    public String keyIdFor(String tenant) {
        return scheme + tenant;
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return call(() -> {
            ensure(tenantOf(keyIdFor(tenant)));
            return keyIdFor(tenant);
        });
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        return call(() -> {
            String tenant = tenantOf(keyId);
            KeyRegistry.Entry rotated = registry.update(tenant, entry -> {
                if (entry == null) {
                    throw unknown(keyId);
                }
                String next = String.valueOf(entry.versions().size() + 1);
                String material = backend(() -> createMaterial(tenant, next));
                long now = clock.millis();
                KeyRegistry.Version old = entry.primary();
                return entry.replace(old.with(KeyState.ENABLED, now, null, old.material()))
                        .replace(new KeyRegistry.Version(next, KeyState.PRIMARY, now, now, null, material));
            });
            return view(keyId, rotated.primary());
        });
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return call(() -> {
            String tenant = tenantOf(keyId);
            KeyRegistry.Entry entry = registry.read(tenant);
            if (entry == null) {
                if (!autoCreate) {
                    throw unknown(keyId);
                }
                entry = ensure(tenant);
            }
            KeyRegistry.Version primary = entry.primary();
            Aead kek = kek(tenant, primary);
            return backend(() -> {
                var dek = DataKeys.generate();
                byte[] wrapped = DataKeys.wrap(dek, kek, context.bytes());
                return new DataKey(DataKeys.aead(dek), new WrappedDek(keyId, primary.version(), DataKeys.ALGORITHM, wrapped));
            });
        });
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return unwrapDekKeyset(wrapped, context).thenApply(handle -> backend(() -> DataKeys.aead(handle)));
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return call(() -> {
            String tenant = tenantOf(wrapped.keyId());
            if (!DataKeys.ALGORITHM.equals(wrapped.algorithm())) {
                throw new KmsException("unsupported data key algorithm '" + wrapped.algorithm() + "' (expected "
                        + DataKeys.ALGORITHM + ")");
            }
            KeyRegistry.Version v = existing(wrapped.keyId(), tenant, wrapped.keyVersion());
            switch (v.state()) {
                case DESTROYED -> throw new KeyDestroyedException(wrapped.keyId(), v.version(), Instant.ofEpochMilli(v.destroyAtMs()));
                case DISABLED -> throw new KeyDisabledException("key " + wrapped.keyId() + " version " + v.version() + " is disabled");
                case DESTROY_SCHEDULED -> throw new KeyDisabledException("key " + wrapped.keyId() + " version " + v.version()
                        + " is scheduled for destruction at " + Instant.ofEpochMilli(v.destroyAtMs()));
                default -> { }
            }
            Aead kek = kek(tenant, v);
            try {
                return DataKeys.unwrapKeyset(wrapped.bytes(), kek, context.bytes());
            } catch (GeneralSecurityException e) {
                throw new DataKeyRejectedException("cannot unwrap data key under " + wrapped.keyId() + " version " + v.version()
                        + ": the wrapped key or its context (environment, tenant, segment) does not authenticate");
            }
        });
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return call(() -> {
            String tenant = tenantOf(keyId);
            KeyRegistry.Entry entry = registry.read(tenant);
            if (entry == null) {
                throw unknown(keyId);
            }
            KeyRegistry.Version primary = entry.primary();
            Aead kek = kek(tenant, primary);
            return backend(() -> new WrappedDek(keyId, primary.version(), DataKeys.ALGORITHM,
                    DataKeys.wrap(dek, kek, context.bytes())));
        });
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        return change(keyId, version, (v, now) -> {
            requireNotPrimary(keyId, v, "disabled");
            requireNotDestroyed(keyId, v);
            return v.with(KeyState.DISABLED, now, v.destroyAtMs(), v.material());
        });
    }

    @Override
    public CompletionStage<KeyVersion> enable(String keyId, String version) {
        return change(keyId, version, (v, now) -> {
            requireNotDestroyed(keyId, v);
            return v.state() == KeyState.PRIMARY ? v : v.with(KeyState.ENABLED, now, null, v.material());
        });
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when,
            DestroyApproval approval) {
        return change(keyId, version, (v, now) -> {
            requireNotPrimary(keyId, v, "destroyed");
            requireNotDestroyed(keyId, v);
            return v.with(KeyState.DESTROY_SCHEDULED, now, when.toEpochMilli(), v.material()).withApproval(stored(approval));
        });
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        return change(keyId, version, (v, now) -> {
            requireNotPrimary(keyId, v, "destroyed");
            requireNotDestroyed(keyId, v);
            backend(() -> {
                destroyMaterial(tenantOf(keyId), v.version());
                return null;
            });
            keks.remove(tenantOf(keyId) + "/" + v.version());
            return v.with(KeyState.DESTROYED, now, now, null).withApproval(v.approval()); // kept: what authorized it
        });
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return call(() -> {
            KeyRegistry.Entry entry = registry.read(tenantOf(keyId));
            if (entry == null) {
                throw unknown(keyId);
            }
            return entry.versions().stream().map(v -> view(keyId, v)).toList();
        });
    }

    private interface Change {
        KeyRegistry.Version apply(KeyRegistry.Version v, long now);
    }

    private CompletionStage<KeyVersion> change(String keyId, String version, Change change) {
        return call(() -> {
            String tenant = tenantOf(keyId);
            KeyRegistry.Version[] result = new KeyRegistry.Version[1];
            registry.update(tenant, entry -> {
                KeyRegistry.Version v = entry == null ? null : entry.version(version);
                if (v == null) {
                    throw new UnknownKeyException("key " + keyId + " has no version " + version);
                }
                result[0] = change.apply(v, clock.millis());
                return entry.replace(result[0]);
            });
            return view(keyId, result[0]);
        });
    }

    private KeyRegistry.Entry ensure(String tenant) {
        return registry.update(tenant, entry -> {
            if (entry != null) {
                return entry;
            }
            String material = backend(() -> createMaterial(tenant, "1"));
            long now = clock.millis();
            return new KeyRegistry.Entry(keyIdFor(tenant), tenant,
                    List.of(new KeyRegistry.Version("1", KeyState.PRIMARY, now, now, null, material)));
        });
    }

    private KeyRegistry.Version existing(String keyId, String tenant, String version) {
        KeyRegistry.Entry entry = registry.read(tenant);
        if (entry == null) {
            throw unknown(keyId);
        }
        KeyRegistry.Version v = entry.version(version);
        if (v == null) {
            throw new UnknownKeyException("key " + keyId + " has no version " + version);
        }
        return v;
    }

    private Aead kek(String tenant, KeyRegistry.Version v) {
        return keks.computeIfAbsent(tenant + "/" + v.version(), k -> backend(() -> material(tenant, v.version(), v.material())));
    }

    private KeyVersion view(String keyId, KeyRegistry.Version v) {
        return new KeyVersion(keyId, v.version(), v.state(), Instant.ofEpochMilli(v.createdAtMs()),
                Instant.ofEpochMilli(v.changedAtMs()), v.destroyAtMs() == null ? null : Instant.ofEpochMilli(v.destroyAtMs()),
                v.approval() == null ? null : new DestroyApproval(v.approval().requestId(),
                        v.approval().approvals().stream().map(a -> new DestroyApproval.Approval(
                                a.principal(), a.atMs() == null ? null : Instant.ofEpochMilli(a.atMs()))).toList()));
    }

    private static KeyRegistry.Approval stored(DestroyApproval approval) {
        return approval == null ? null : new KeyRegistry.Approval(approval.requestId(), approval.approvals().stream()
                .map(a -> new KeyRegistry.Approver(a.principal(), a.at() == null ? null : a.at().toEpochMilli())).toList());
    }

    private static void requireNotPrimary(String keyId, KeyRegistry.Version v, String what) {
        if (v.state() == KeyState.PRIMARY) {
            throw new KmsException("key " + keyId + " version " + v.version() + " is the primary version and cannot be "
                    + what + "; rotate first");
        }
    }

    private static void requireNotDestroyed(String keyId, KeyRegistry.Version v) {
        if (v.state() == KeyState.DESTROYED) {
            throw new KeyDestroyedException(keyId, v.version(), Instant.ofEpochMilli(v.destroyAtMs()));
        }
    }

    private String tenantOf(String keyId) {
        if (keyId == null || !keyId.startsWith(scheme)) {
            throw new UnknownKeyException("not a " + scheme + " key id: " + keyId + " (expected " + scheme + "<tenant>)");
        }
        String tenant = keyId.substring(scheme.length());
        if (!TENANT.matcher(tenant).matches()) {
            throw new UnknownKeyException("invalid tenant in key id " + keyId + " (allowed: " + TENANT.pattern() + ")");
        }
        return tenant;
    }

    private static UnknownKeyException unknown(String keyId) {
        return new UnknownKeyException("no key-encryption key " + keyId);
    }

    /** Runs backend work, mapping its checked failures into the KMS exception tree. */
    protected interface BackendCall<T> {
        T run() throws GeneralSecurityException;
    }

    protected static <T> T backend(BackendCall<T> call) {
        try {
            return call.run();
        } catch (GeneralSecurityException e) {
            throw new KmsException("KMS backend error: " + e.getClass().getSimpleName(), e);
        }
    }

    protected static <T> CompletionStage<T> call(Supplier<T> body) {
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
