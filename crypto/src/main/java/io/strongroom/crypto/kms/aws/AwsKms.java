package io.strongroom.crypto.kms.aws;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeyRejectedException;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.DestroyApproval;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.KmsUnavailableException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.DependencyTimeoutException;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyUnavailableException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.LimitExceededException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * KEKs in AWS KMS. Key id {@code aws-kms://<prefix><tenant>} names an alias that points at the
 * primary version; version {@code N} is its own symmetric AWS KMS key behind the alias
 * {@code <prefix><tenant>/vN}. Rotating creates the next key and moves the primary alias; disable
 * and enable map to DisableKey/EnableKey; scheduling destruction maps to ScheduleKeyDeletion (AWS
 * enforces a waiting period of 7 to 30 days, so {@link #destroy} schedules the earliest deletion
 * AWS allows and reports {@code DESTROY_SCHEDULED}).
 *
 * <p>AWS errors are mapped: not found → {@link UnknownKeyException}; disabled or pending deletion
 * → {@link KeyDisabledException}; throttling, timeouts, internal errors and network failures →
 * {@link KmsUnavailableException} (retryable); a ciphertext or context that does not match →
 * {@link KmsException}.
 */
public final class AwsKms implements ManagedKms {
    /** The tag every KEK version carries, its tenant: IAM policies scope grants to keys that have it. */
    public static final String TENANT_TAG = "strongroom:tenant";
    /** Encryption-context key holding the environment of a wrapped DEK (for {@code kms:EncryptionContext:environment}). */
    public static final String ENVIRONMENT_CONTEXT = "environment";
    /** Encryption-context key holding the tenant of a wrapped DEK (for {@code kms:EncryptionContext:tenant}). */
    public static final String TENANT_CONTEXT = "tenant";
    private static final String SCHEME = "aws-kms://";
    private static final long PRIMARY_TTL_NANOS = Duration.ofSeconds(30).toNanos();
    private final KmsClient client;
    private final String aliasPrefix;
    /** Primary version per key id, so a DEK costs one Encrypt, not a listing; dropped on rotate. */
    private final Map<String, long[]> primaryCache = new ConcurrentHashMap<>();

    /**
     * @param client the SDK client (region and credentials configured)
     * @param aliasPrefix prefix of tenant aliases, e.g. {@code alias/strongroom-}
     */
    public AwsKms(KmsClient client, String aliasPrefix) {
        this.client = Objects.requireNonNull(client, "client");
        if (!aliasPrefix.startsWith("alias/")) {
            throw new IllegalArgumentException("kms.aws.alias-prefix must start with alias/, got " + aliasPrefix);
        }
        this.aliasPrefix = aliasPrefix;
    }

    @Override
    public String keyIdFor(String tenant) {
        return SCHEME + aliasPrefix + tenant;
    }

    private String alias(String keyId) {
        if (keyId == null || !keyId.startsWith(SCHEME + aliasPrefix)) {
            throw new UnknownKeyException("not an aws-kms key id of this deployment: " + keyId + " (expected " + SCHEME
                    + aliasPrefix + "<tenant>)");
        }
        return keyId.substring(SCHEME.length());
    }

    /** The encryption-context entries next to the bound bytes: environment and tenant, each a key of its own. */
    static Map<String, String> labels(DekContext context) {
        return Map.of(ENVIRONMENT_CONTEXT, context.environment(), TENANT_CONTEXT, context.tenant());
    }

    private static String versionAlias(String alias, String version) {
        return alias + "/v" + version;
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return call(keyIdFor(tenant), () -> {
            String alias = alias(keyIdFor(tenant));
            if (targetOf(alias) == null) {
                String arn = newKey(tenant, "1");
                client.createAlias(b -> b.aliasName(versionAlias(alias, "1")).targetKeyId(arn));
                client.createAlias(b -> b.aliasName(alias).targetKeyId(arn));
            }
            return keyIdFor(tenant);
        });
    }

    @Override
    public CompletionStage<KeyVersion> rotate(String keyId) {
        return call(keyId, () -> {
            String alias = alias(keyId);
            List<KeyVersion> versions = versions(keyId);
            String next = String.valueOf(versions.size() + 1);
            primaryCache.remove(keyId);
            String arn = newKey(alias.substring(aliasPrefix.length()), next);
            client.createAlias(b -> b.aliasName(versionAlias(alias, next)).targetKeyId(arn));
            client.updateAlias(b -> b.aliasName(alias).targetKeyId(arn));
            return versions(keyId).stream().filter(v -> v.version().equals(next)).findFirst().orElseThrow();
        });
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, DekContext context) {
        return call(keyId, () -> {
            String primary = primaryVersion(keyId);
            Aead kek = new AwsKmsAead(client, versionAlias(alias(keyId), primary), labels(context));
            var dek = DataKeys.generate();
            byte[] wrapped = DataKeys.wrap(dek, kek, context.bytes());
            return new DataKey(DataKeys.aead(dek), new WrappedDek(keyId, primary, DataKeys.ALGORITHM, wrapped));
        });
    }

    @Override
    public CompletionStage<WrappedDek> wrapDek(String keyId, KeysetHandle dek, DekContext context) {
        return call(keyId, () -> {
            String primary = primaryVersion(keyId);
            Aead kek = new AwsKmsAead(client, versionAlias(alias(keyId), primary), labels(context));
            return new WrappedDek(keyId, primary, DataKeys.ALGORITHM, DataKeys.wrap(dek, kek, context.bytes()));
        });
    }

    @Override
    public CompletionStage<KeysetHandle> unwrapDekKeyset(WrappedDek wrapped, DekContext context) {
        return call(wrapped.keyId(), () -> {
            if (!DataKeys.ALGORITHM.equals(wrapped.algorithm())) {
                throw new KmsException("unsupported data key algorithm '" + wrapped.algorithm() + "'");
            }
            String versionAlias = versionAlias(alias(wrapped.keyId()), wrapped.keyVersion());
            try {
                return DataKeys.unwrapKeyset(wrapped.bytes(), new AwsKmsAead(client, versionAlias, labels(context)),
                        context.bytes());
            } catch (NotFoundException e) {
                throw new UnknownKeyException("key " + wrapped.keyId() + " has no version " + wrapped.keyVersion());
            } catch (DisabledException e) {
                throw new KeyDisabledException("key " + wrapped.keyId() + " version " + wrapped.keyVersion() + " is disabled");
            } catch (KmsInvalidStateException e) {
                throw new KeyDisabledException("key " + wrapped.keyId() + " version " + wrapped.keyVersion()
                        + " is scheduled for destruction (AWS KMS: pending deletion) or otherwise unusable");
            }
        });
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, DekContext context) {
        return unwrapDekKeyset(wrapped, context).thenApply(keyset -> {
            try {
                return DataKeys.aead(keyset);
            } catch (GeneralSecurityException e) {
                throw new KmsException("cannot use the data key of " + wrapped.keyId() + " version " + wrapped.keyVersion(), e);
            }
        });
    }

    @Override
    public CompletionStage<KeyVersion> disable(String keyId, String version) {
        return call(keyId, () -> {
            requireNotPrimary(keyId, version);
            client.disableKey(b -> b.keyId(versionAlias(alias(keyId), version)));
            return version(keyId, version);
        });
    }

    @Override
    public CompletionStage<KeyVersion> enable(String keyId, String version) {
        return call(keyId, () -> {
            String target = versionAlias(alias(keyId), version);
            KeyMetadata md = client.describeKey(b -> b.keyId(target)).keyMetadata();
            if (md.keyStateAsString().equals("PendingDeletion")) {
                client.cancelKeyDeletion(b -> b.keyId(target));
            }
            client.enableKey(b -> b.keyId(target));
            return version(keyId, version);
        });
    }

    @Override
    public CompletionStage<KeyVersion> scheduleDestroy(String keyId, String version, Instant when,
            DestroyApproval approval) { // AWS records no approval; its deletion runs in AWS
        return call(keyId, () -> {
            requireNotPrimary(keyId, version);
            long days = Math.max(7, Math.min(30, Duration.between(Instant.now(), when).toDays()));
            client.scheduleKeyDeletion(b -> b.keyId(versionAlias(alias(keyId), version)).pendingWindowInDays((int) days));
            return version(keyId, version);
        });
    }

    @Override
    public CompletionStage<KeyVersion> destroy(String keyId, String version) {
        return scheduleDestroy(keyId, version, Instant.now());
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return call(keyId, () -> versions(keyId));
    }

    private String primaryVersion(String keyId) {
        long[] cached = primaryCache.get(keyId);
        if (cached != null && System.nanoTime() - cached[1] < PRIMARY_TTL_NANOS) {
            return String.valueOf(cached[0]);
        }
        KeyVersion primary = versions(keyId).stream().filter(KeyVersion::primary).findFirst()
                .orElseThrow(() -> new UnknownKeyException("no primary version of " + keyId));
        primaryCache.put(keyId, new long[] {Long.parseLong(primary.version()), System.nanoTime()});
        return primary.version();
    }

    private KeyVersion version(String keyId, String version) {
        return versions(keyId).stream().filter(v -> v.version().equals(version)).findFirst()
                .orElseThrow(() -> new UnknownKeyException("key " + keyId + " has no version " + version));
    }

    private void requireNotPrimary(String keyId, String version) {
        if (version(keyId, version).primary()) {
            throw new KmsException("key " + keyId + " version " + version + " is the primary version; rotate first");
        }
    }

    private List<KeyVersion> versions(String keyId) {
        String alias = alias(keyId);
        String primaryTarget = targetOf(alias);
        if (primaryTarget == null) {
            throw new UnknownKeyException("no key-encryption key " + keyId);
        }
        List<KeyVersion> versions = new ArrayList<>();
        for (AliasListEntry entry : client.listAliasesPaginator(b -> { }).aliases()) {
            String name = entry.aliasName();
            if (!name.startsWith(alias + "/v")) {
                continue;
            }
            String version = name.substring(alias.length() + 2);
            if (entry.targetKeyId() == null) {
                versions.add(new KeyVersion(keyId, version, KeyState.DESTROYED, null, null, null));
                continue;
            }
            KeyMetadata md = client.describeKey(b -> b.keyId(entry.targetKeyId())).keyMetadata();
            KeyState state = switch (md.keyStateAsString()) {
                case "Enabled" -> entry.targetKeyId().equals(primaryTarget) ? KeyState.PRIMARY : KeyState.ENABLED;
                case "PendingDeletion" -> KeyState.DESTROY_SCHEDULED;
                default -> KeyState.DISABLED;
            };
            versions.add(new KeyVersion(keyId, version, state, md.creationDate(), md.creationDate(), md.deletionDate()));
        }
        versions.sort(Comparator.comparingInt(v -> Integer.parseInt(v.version())));
        return versions;
    }

    /** The key id an alias points at, or null if the alias does not exist. */
    private String targetOf(String alias) {
        try {
            return client.describeKey(b -> b.keyId(alias)).keyMetadata().keyId();
        } catch (NotFoundException e) {
            return null;
        }
    }

    private String newKey(String tenant, String version) {
        return client.createKey(b -> b.description("Strongroom KEK for tenant " + tenant + ", version " + version)
                .keyUsage("ENCRYPT_DECRYPT").keySpec("SYMMETRIC_DEFAULT")
                .tags(t -> t.tagKey(TENANT_TAG).tagValue(tenant))).keyMetadata().arn();
    }

    private interface Body<T> {
        T run() throws GeneralSecurityException;
    }

    /** Runs {@code body}, mapping AWS failures into the KMS exception tree. */
    private static <T> CompletionStage<T> call(String keyId, Body<T> body) {
        try {
            return CompletableFuture.completedFuture(body.run());
        } catch (NotFoundException e) {
            return CompletableFuture.failedFuture(new UnknownKeyException("AWS KMS has no key for " + keyId));
        } catch (DisabledException e) {
            return CompletableFuture.failedFuture(new KeyDisabledException("AWS KMS key for " + keyId + " is disabled"));
        } catch (KmsInvalidStateException e) {
            return CompletableFuture.failedFuture(new KeyDisabledException("AWS KMS key for " + keyId
                    + " is not usable in its state (pending deletion or disabled): " + e.awsErrorDetails().errorMessage()));
        } catch (InvalidCiphertextException e) {
            return CompletableFuture.failedFuture(new DataKeyRejectedException("cannot unwrap data key under " + keyId
                    + ": the wrapped key or its context (environment, tenant, segment) does not authenticate"));
        } catch (KmsInternalException | DependencyTimeoutException | KeyUnavailableException | LimitExceededException e) {
            return CompletableFuture.failedFuture(new KmsUnavailableException("AWS KMS unavailable for " + keyId + ": "
                    + e.awsErrorDetails().errorCode(), e));
        } catch (software.amazon.awssdk.services.kms.model.KmsException e) {
            int status = e.statusCode();
            if (status >= 500 || status == 429) {
                return CompletableFuture.failedFuture(new KmsUnavailableException("AWS KMS unavailable for " + keyId
                        + ": " + status, e));
            }
            String code = e.awsErrorDetails() == null ? "" + status : e.awsErrorDetails().errorCode();
            return CompletableFuture.failedFuture(new KmsException("AWS KMS refused the call for " + keyId + ": " + code));
        } catch (SdkClientException e) {
            return CompletableFuture.failedFuture(new KmsUnavailableException("cannot reach AWS KMS for " + keyId + ": "
                    + e.getMessage(), e));
        } catch (GeneralSecurityException e) {
            return CompletableFuture.failedFuture(new DataKeyRejectedException("cannot unwrap data key under " + keyId
                    + ": the wrapped key or its context (environment, tenant, segment) does not authenticate"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
