package io.strongroom.cli.config;

import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.archiver.ArchiverConfig;
import io.strongroom.archive.S3Settings;
import io.strongroom.cli.KmsFactory;
import io.strongroom.crypto.audit.AuditSigning;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.encryptor.EncryptorConfig;
import io.strongroom.coordinator.CoordinatorConfig;
import io.strongroom.coordinator.RotationPolicy;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.KmsProviders;
import io.strongroom.ingest.IngestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The whole configuration of a Strongroom deployment; every service reads the same file and uses
 * its own section. See the README's configuration reference for every key and its default.
 *
 * @param environment name bound into every segment (required), e.g. {@code prod}
 * @param dataDir where services keep local state (Kafka Streams stores)
 * @param kafka Kafka connection
 * @param s3 archive storage (required)
 * @param kms key management
 * @param ingest ingest service
 * @param encryptor encryptor service
 * @param archiver archiver service
 * @param coordinator rotation coordinator
 * @param restore restore and verify
 * @param audit the audit trail's signed checkpoints
 * @param anomaly the anomaly detector's rules
 * @param metrics each service's {@code /metrics} and {@code /health}
 * @param identity the services' signing identities and the keys readers trust
 * @param heads the signed chain heads of the archive
 */
public record StrongroomConfig(String environment, String dataDir, Kafka kafka, S3Settings s3, KmsSettings kms,
        IngestConfig ingest, EncryptorConfig encryptor, ArchiverConfig archiver, CoordinatorConfig coordinator,
        Restore restore, Audit audit, AnomalyConfig anomaly, MetricsSettings metrics,
        Identity identity, Heads heads) {

    /** This configuration with {@code kms} as its key management settings. */
    public StrongroomConfig withKms(KmsSettings kms) {
        return new StrongroomConfig(environment, dataDir, kafka, s3, kms, ingest, encryptor, archiver, coordinator, restore,
                audit, anomaly, metrics, identity, heads);
    }

    /** The rotation policy of {@code tenant}: its own, its classification's, or the default. */
    public RotationPolicy rotationPolicy(String tenant) {
        return coordinator.policyOf(tenant, ingest.highestFor(tenant));
    }

    public StrongroomConfig {
        if (environment == null || environment.isBlank()) {
            throw new IllegalArgumentException("environment is required (for example: dev, staging, prod)");
        }
        if (!environment.matches("[a-z0-9][a-z0-9-]{0,31}")) {
            throw new IllegalArgumentException("environment must be 1-32 of a-z 0-9 -, got '" + environment + "'");
        }
        if (s3 == null) {
            throw new IllegalArgumentException("s3.bucket is required");
        }
        dataDir = Objects.requireNonNullElse(dataDir, "./data");
        kafka = Objects.requireNonNullElse(kafka, Kafka.defaults());
        kms = Objects.requireNonNullElse(kms, KmsSettings.defaults());
        ingest = Objects.requireNonNullElse(ingest, IngestConfig.defaults());
        encryptor = Objects.requireNonNullElse(encryptor, EncryptorConfig.defaults());
        archiver = Objects.requireNonNullElse(archiver, ArchiverConfig.defaults());
        coordinator = Objects.requireNonNullElse(coordinator, CoordinatorConfig.defaults());
        restore = Objects.requireNonNullElse(restore, Restore.defaults());
        audit = Objects.requireNonNullElse(audit, Audit.defaults());
        anomaly = Objects.requireNonNullElse(anomaly, AnomalyConfig.defaults());
        metrics = Objects.requireNonNullElse(metrics, MetricsSettings.defaults());
        identity = Objects.requireNonNullElse(identity, Identity.defaults());
        heads = Objects.requireNonNullElse(heads, Heads.defaults());
    }

    /**
     * {@code role}'s signing identity, {@code {identity.directory}/{role}.identity.json}, or null if no directory is
     * configured (the deployment signs nothing).
     *
     * @throws IllegalArgumentException naming the file and the command that makes it if it is missing or unsafe
     */
    public SigningIdentity signingIdentity(Role role) {
        return signingIdentity(role, null);
    }

    /**
     * As {@link #signingIdentity(Role)}; an identity encrypted under the KMS is unwrapped
     * through {@code kms} (audited there), or, if it is null, through a KMS client opened for the role's principal for
     * this one call.
     */
    public SigningIdentity signingIdentity(Role role,
            Kms kms) {
        if (identity.directory() == null) {
            return null;
        }
        Path file = identity.file(role);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("identity.directory is set but " + file + " does not exist: create it with "
                    + "'strongroom identity init --role " + role.name().toLowerCase(Locale.ROOT) + "'");
        }
        SigningIdentity id;
        if (!IdentityFile.isWrapped(file)) {
            id = IdentityFile.load(file);
        } else if (kms != null) {
            id = IdentityFile.load(file, kms, this.kms.timeout());
        } else {
            try (AuditingKms own = KmsFactory.create(this,
                    role.name().toLowerCase(Locale.ROOT))) {
                id = IdentityFile.load(file, own, this.kms.timeout());
            }
        }
        if (id.role() != role || !id.environment().equals(environment)) {
            throw new IllegalArgumentException(file + " is " + id.keyId() + " of environment " + id.environment()
                    + ", not a " + role + " identity of " + environment);
        }
        return id;
    }

    /** Where and how the audit trail's signed checkpoints are kept. */
    public AuditCheckpointStore.Settings auditCheckpoints() {
        return new AuditCheckpointStore.Settings(environment, s3.bucket(), archiver.objectLock(),
                audit.checkpointRetention(), audit.publicKeyFile());
    }

    /** Opens a client for the primary archive target ({@code s3}) and one for each replica, in that order: close them. */
    public List<ArchiveTarget> archiveTargets() {
        List<ArchiveTarget> targets = new ArrayList<>();
        targets.add(ArchiveTarget.of(s3));
        archiver.replicas().forEach(r -> targets.add(ArchiveTarget.of(r)));
        return targets;
    }

    /**
     * The keys readers trust, from {@code identity.trust-file}, or null if none is configured (the catalog is read
     * unauthenticated, as before signing).
     *
     * @throws IllegalArgumentException naming the file if it cannot be read or is of another environment
     */
    public TrustFile trust() {
        if (identity.trustFile() == null) {
            return null;
        }
        TrustFile trust = TrustFile.load(
                Path.of(identity.trustFile()));
        if (!trust.environment().equals(environment)) {
            throw new IllegalArgumentException(identity.trustFile() + " is the trust file of environment "
                    + trust.environment() + ", not " + environment);
        }
        return trust;
    }

    /**
     * Signing identities (see the README's "Service identities").
     *
     * @param directory where each service's {@code {role}.identity.json} lies (readable by that service only); unset:
     *     nothing is signed
     * @param trustFile the public keys readers trust; unset: the catalog is not authenticated
     */
    public record Identity(String directory, String trustFile) {
        /** Every setting at its default. */
        public static Identity defaults() {
            return new Identity(null, null);
        }

        /** The identity file of {@code role}. */
        public Path file(Role role) {
            return Path.of(Objects.requireNonNull(directory, "identity.directory"),
                    role.name().toLowerCase(Locale.ROOT) + ".identity.json");
        }
    }

    /**
     * Signed chain heads (written by the coordinator when it has an identity).
     *
     * @param interval how often the coordinator signs the heads of every chain from {@code strongroom.archive.index}
     * @param staleAfterIntervals {@code verify} fails when the newest checkpoint is older than this many intervals
     */
    public record Heads(Duration interval, Integer staleAfterIntervals) {
        /** Every setting at its default. */
        public static Heads defaults() {
            return new Heads(null, null);
        }

        public Heads {
            interval = Objects.requireNonNullElse(interval, Duration.ofMinutes(5));
            staleAfterIntervals = Objects.requireNonNullElse(staleAfterIntervals, 3);
            if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("heads.interval must be at least PT1S, got " + interval);
            }
            if (staleAfterIntervals < 1) {
                throw new IllegalArgumentException("heads.stale-after-intervals must be at least 1, got " + staleAfterIntervals);
            }
        }
    }

    /**
     * Kafka connection.
     *
     * @param bootstrapServers {@code host:port[,host:port]}
     * @param properties extra client properties (security.protocol, ssl.*, sasl.*)
     * @param partitions partitions of Strongroom's data topics when the coordinator creates them
     * @param replicationFactor replication factor of topics it creates; unset uses the broker default
     */
    public record Kafka(String bootstrapServers, Map<String, String> properties, Integer partitions, Short replicationFactor) {
        /** Every setting at its default. */
        public static Kafka defaults() {
            return new Kafka(null, null, null, null);
        }

        public Kafka {
            bootstrapServers = Objects.requireNonNullElse(bootstrapServers, "localhost:9092");
            properties = Map.copyOf(Objects.requireNonNullElse(properties, Map.of()));
            partitions = Objects.requireNonNullElse(partitions, 6);
            if (bootstrapServers.isBlank() || !bootstrapServers.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
                throw new IllegalArgumentException("kafka.bootstrap-servers must be host:port[,host:port...], got '" + bootstrapServers + "'");
            }
            if (partitions < 1 || partitions > 1000) {
                throw new IllegalArgumentException("kafka.partitions must be between 1 and 1000, got " + partitions);
            }
            if (replicationFactor != null && (replicationFactor < 1 || replicationFactor > 7)) {
                throw new IllegalArgumentException("kafka.replication-factor must be between 1 and 7, got " + replicationFactor);
            }
        }

        /** Base client properties: bootstrap servers plus {@link #properties()}. */
        public Map<String, Object> clientProperties() {
            Map<String, Object> props = new HashMap<>(properties);
            props.put("bootstrap.servers", bootstrapServers);
            return props;
        }

        public Optional<Short> replication() {
            return Optional.ofNullable(replicationFactor);
        }
    }

    /**
     * Key management: what every backend shares. The backend itself is a {@link KmsProvider} found by
     * {@link ServiceLoader} and selected by {@code type}; its settings are its own record, bound by
     * {@link ConfigLoader} from {@code kms.<its config key>} ({@code kms.local}, {@code kms.pkcs11}, {@code kms.aws}).
     *
     * @param type backend: a provider's name ({@code local}, {@code pkcs11}, {@code aws-kms}, or a third party's)
     * @param timeout how long a KMS call may take before it fails (closed)
     * @param auditBuffer audit events in flight before key operations wait for Kafka
     * @param retryAttempts attempts for transient KMS failures, the first included
     * @param unwrapCacheSize unwrapped data keys kept in memory
     * @param unwrapCacheTtl how long an unwrapped data key is kept
     * @param backends the providers' settings, by provider name: the selected one's and every one the file configures
     *     (one missing here has its defaults)
     */
    public record KmsSettings(String type, Duration timeout, Integer auditBuffer, Integer retryAttempts,
            Integer unwrapCacheSize, Duration unwrapCacheTtl, Map<String, Object> backends) {
        /** Every setting at its default. */
        public static KmsSettings defaults() {
            return new KmsSettings(null, null, null, null, null, null, null);
        }

        public KmsSettings {
            auditBuffer = Objects.requireNonNullElse(auditBuffer, 1000);
            retryAttempts = Objects.requireNonNullElse(retryAttempts, 5);
            unwrapCacheSize = Objects.requireNonNullElse(unwrapCacheSize, 1000);
            unwrapCacheTtl = Objects.requireNonNullElse(unwrapCacheTtl, Duration.ofMinutes(5));
            if (retryAttempts < 1 || retryAttempts > 100) {
                throw new IllegalArgumentException("kms.retry-attempts must be between 1 and 100, got " + retryAttempts);
            }
            if (unwrapCacheSize < 1 || unwrapCacheSize > 1_000_000) {
                throw new IllegalArgumentException("kms.unwrap-cache-size must be between 1 and 1000000, got " + unwrapCacheSize);
            }
            if (unwrapCacheTtl.isNegative() || unwrapCacheTtl.isZero()) {
                throw new IllegalArgumentException("kms.unwrap-cache-ttl must be positive, got " + unwrapCacheTtl);
            }
            if (auditBuffer < 1 || auditBuffer > 1_000_000) {
                throw new IllegalArgumentException("kms.audit-buffer must be between 1 and 1000000, got " + auditBuffer);
            }
            type = Objects.requireNonNullElse(type, "local");
            timeout = Objects.requireNonNullElse(timeout, Duration.ofSeconds(10));
            KmsProviders.named(type); // "kms.type must be one of [...]"
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("kms.timeout must be positive, got " + timeout);
            }
            backends = Map.copyOf(Objects.requireNonNullElse(backends, Map.of()));
        }

        /** These settings with {@code backends} as every provider's settings. */
        public KmsSettings withBackends(Map<String, Object> backends) {
            return new KmsSettings(type, timeout, auditBuffer, retryAttempts, unwrapCacheSize, unwrapCacheTtl, backends);
        }

        /** The provider {@code type} names. */
        public KmsProvider<?> provider() {
            return KmsProviders.named(type);
        }

        /** The settings of {@code provider}: as configured, or its defaults. */
        public <C> C settings(KmsProvider<C> provider) {
            Object configured = backends.get(provider.name());
            return provider.configType().cast(configured != null ? configured : ConfigLoader.defaults(provider.configType()));
        }

        /**
         * The settings of the provider whose config record is {@code type} (for code that knows the backend, such as
         * the AWS access plan).
         *
         * @throws IllegalArgumentException if no provider reads {@code type}
         */
        public <C> C settings(Class<C> type) {
            for (KmsProvider<?> p : KmsProviders.all().values()) {
                if (p.configType() == type) {
                    return type.cast(settings(p));
                }
            }
            throw new IllegalArgumentException("no KMS provider is configured by " + type.getName());
        }
    }

    /**
     * Restore and verify.
     *
     * @param parallelism segments fetched at once
     */
    public record Restore(Integer parallelism) {
        /** Every setting at its default. */
        public static Restore defaults() {
            return new Restore(null);
        }

        public Restore {
            parallelism = Objects.requireNonNullElse(parallelism, 4);
            if (parallelism < 1 || parallelism > 64) {
                throw new IllegalArgumentException("restore.parallelism must be between 1 and 64, got " + parallelism);
            }
        }
    }

    /**
     * Signed checkpoints of the audit trail.
     *
     * @param checkpointInterval how often the coordinator signs the chain heads of {@code strongroom.audit} into S3
     * @param publicKeyFile the public keyset (Tink JSON) that {@code audit verify} checks checkpoints with: pin it; without
     *     it, the one stored beside the signing key in S3 is used, with a warning
     * @param checkpointRetention with {@code archiver.object-lock}, how long each checkpoint is locked
     * @param signEveryEvents an emitter with an identity ({@code identity.directory}) signs a head of its chain at least
     *     every this many events; readers with {@code identity.trust-file} count only events its heads cover
     * @param signEvery and at least this often while it has unsigned events
     * @param staleAfterIntervals {@code audit verify} fails when the newest signed checkpoint is older than this many
     *     {@code checkpointInterval}s (newer ones deleted, or the coordinator stopped signing)
     */
    public record Audit(Duration checkpointInterval, String publicKeyFile, Duration checkpointRetention,
            Integer signEveryEvents, Duration signEvery, Integer staleAfterIntervals) {
        /** Every setting at its default. */
        public static Audit defaults() {
            return new Audit(null, null, null, null, null, null);
        }

        /** With the default signing cadence and staleness limit. */
        public Audit(Duration checkpointInterval, String publicKeyFile, Duration checkpointRetention) {
            this(checkpointInterval, publicKeyFile, checkpointRetention, null, null, null);
        }

        public Audit {
            staleAfterIntervals = Objects.requireNonNullElse(staleAfterIntervals, 3);
            if (staleAfterIntervals < 1) {
                throw new IllegalArgumentException("audit.stale-after-intervals must be at least 1, got " + staleAfterIntervals);
            }
            signEveryEvents = Objects.requireNonNullElse(signEveryEvents, AuditSigning.DEFAULT_EVERY_EVENTS);
            signEvery = Objects.requireNonNullElse(signEvery, AuditSigning.DEFAULT_EVERY);
            if (signEveryEvents < 1 || signEveryEvents > 1_000_000) {
                throw new IllegalArgumentException("audit.sign-every-events must be between 1 and 1000000, got " + signEveryEvents);
            }
            if (signEvery.compareTo(Duration.ofMillis(100)) < 0 || signEvery.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("audit.sign-every must be between PT0.1S and PT1H, got " + signEvery);
            }
            checkpointInterval = Objects.requireNonNullElse(checkpointInterval, Duration.ofMinutes(5));
            checkpointRetention = Objects.requireNonNullElse(checkpointRetention, Duration.ofDays(2557));
            if (checkpointInterval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("audit.checkpoint-interval must be at least PT1S, got " + checkpointInterval);
            }
            if (checkpointRetention.isNegative() || checkpointRetention.isZero()) {
                throw new IllegalArgumentException("audit.checkpoint-retention must be positive, got " + checkpointRetention);
            }
        }

        /** How old the newest signed checkpoint may be: {@code checkpointInterval} × {@code staleAfterIntervals}. */
        public Duration checkpointMaxAge() {
            return checkpointInterval.multipliedBy(staleAfterIntervals);
        }
    }

    /**
     * Each service process serves {@code GET /metrics} (Prometheus) and {@code GET /health}.
     *
     * @param enabled whether it does
     * @param bind the address to listen on
     * @param basePort ingest listens on this + 1, encryptor + 2, archiver + 3, coordinator + 4, anomaly + 5
     *     ({@code --metrics-port} overrides)
     */
    public record MetricsSettings(Boolean enabled, String bind, Integer basePort) {
        /** Every setting at its default. */
        public static MetricsSettings defaults() {
            return new MetricsSettings(null, null, null);
        }

        public MetricsSettings {
            enabled = Objects.requireNonNullElse(enabled, true);
            bind = Objects.requireNonNullElse(bind, "127.0.0.1");
            basePort = Objects.requireNonNullElse(basePort, 9400);
            if (basePort < 0 || basePort > 65530) {
                throw new IllegalArgumentException("metrics.base-port must be between 0 and 65530, got " + basePort);
            }
        }
    }
}
