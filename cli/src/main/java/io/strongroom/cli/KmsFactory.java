package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.FileAuditTrail;
import io.strongroom.crypto.audit.KafkaAuditTrail;
import io.strongroom.crypto.kms.CachingKms;
import io.strongroom.crypto.kms.KeyEventEviction;
import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.MeteredKms;
import io.strongroom.crypto.kms.ResilientKms;
import io.strongroom.encryptor.TenantKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Builds the configured KMS: the backend {@code kms.type} names, by its {@link KmsProvider}, wrapped with retries,
 * metrics, an unwrap cache and auditing.
 */
public final class KmsFactory {
    private KmsFactory() {}

    /**
     * The configured KMS for {@code principal}: the backend with retries for transient failures,
     * metrics, a bounded unwrap cache, and — outermost, so cached uses count too — every operation
     * audited on {@code strongroom.audit} under the principal's own hash chain.
     */
    public static AuditingKms create(StrongroomConfig config, String principal) {
        return create(config, principal, null);
    }

    /**
     * As {@link #create(StrongroomConfig, String)}, auditing into {@code auditFile} (hash-chained, local)
     * instead of Kafka when it is not null: for work that must run while Kafka is down.
     */
    public static AuditingKms create(StrongroomConfig config, String principal, Path auditFile) {
        return create(config, principal, auditFile, true);
    }

    /**
     * As {@link #create(StrongroomConfig, String)}, audited on an unsigned chain: for {@code strongroom identity}, whose
     * KMS use makes the identity that would sign it.
     */
    static AuditingKms createUnsigned(StrongroomConfig config, String principal) {
        return create(config, principal, null, false);
    }

    private static AuditingKms create(StrongroomConfig config, String principal, Path auditFile,
            boolean signed) {
        ManagedKms backend = backend(config, System.getenv());
        try {
            StrongroomConfig.KmsSettings k = config.kms();
            ManagedKms resilient = ResilientKms.wrap(backend, Duration.ofMillis(100), Duration.ofSeconds(5), k.retryAttempts());
            CachingKms cached = CachingKms.wrap(MeteredKms.wrap(resilient, Metrics.globalRegistry), k.unwrapCacheSize(),
                    k.unwrapCacheTtl());
            // a version disabled or destroyed anywhere leaves this cache within a poll of strongroom.keys
            if (auditFile == null) { // (with an audit file Kafka is away by design)
                cached.closing(KeyEventEviction.start(cached, config.kafka().clientProperties(), Duration.ofSeconds(10)));
            }
            return new AuditingKms(cached, auditFile != null ? FileAuditTrail.open(auditFile, principal + "@file")
                    : KafkaAuditTrail.create(config.kafka().clientProperties(), principal, k.auditBuffer(),
                            auditSpoolDir(config), signed ? AuditIdentity.signing(config, principal, backend) : null),
                    principal);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /**
     * Whether a tenant has a key, as the encryptor asks it of a record it cannot decode: through {@code kms} (audited),
     * without creating the key; the encryptor itself holds the data plane only.
     */
    public static TenantKeys tenantKeys(ManagedKms kms, Duration timeout) {
        return tenant -> Kmses.hasKek(kms, kms.keyIdFor(tenant), timeout);
    }

    /**
     * Where audit events are made durable before Kafka acknowledges them ({@code DATA_DIR/audit-spool}, 0700): one
     * spool per emitter; a start ships those of stopped emitters.
     */
    static Path auditSpoolDir(StrongroomConfig config) {
        return Path.of(config.dataDir(), "audit-spool");
    }

    /**
     * The bare backend {@code kms.type} selects: its {@link KmsProvider}, found by {@link ServiceLoader}, builds
     * it from its own settings ({@code kms.<config key>}). No backend is named here: adding one touches no CLI code.
     */
    static ManagedKms backend(StrongroomConfig config, Map<String, String> env) {
        return open(config.kms().provider(), config, env);
    }

    private static <C> ManagedKms open(KmsProvider<C> provider, StrongroomConfig config, Map<String, String> env) {
        return provider.create(config.kms().settings(provider), new KmsContext(config.environment(), env));
    }
}
