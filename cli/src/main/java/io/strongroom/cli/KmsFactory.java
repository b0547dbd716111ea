package io.strongroom.cli;

import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.FileAuditTrail;
import io.strongroom.crypto.audit.KafkaAuditTrail;
import io.micrometer.core.instrument.Metrics;
import io.strongroom.crypto.kms.CachingKms;
import io.strongroom.crypto.kms.KeyEventEviction;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.MeteredKms;
import io.strongroom.crypto.kms.ResilientKms;
import io.strongroom.crypto.kms.aws.AwsKms;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import java.util.Map;

/** Builds the configured KMS backend. */
public final class KmsFactory {
    /** Variable holding the local KMS passphrase when no passphrase file is configured. */
    public static final String PASSPHRASE_VARIABLE = "STRONGROOM_KMS_PASSPHRASE";
    /** Variable holding the PKCS#11 user PIN when no PIN file is configured. */
    public static final String PIN_VARIABLE = "STRONGROOM_PKCS11_PIN";

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
    public static AuditingKms create(StrongroomConfig config, String principal, java.nio.file.Path auditFile) {
        return create(config, principal, auditFile, true);
    }

    /**
     * As {@link #create(StrongroomConfig, String)}, audited on an unsigned chain: for {@code strongroom identity}, whose
     * KMS use makes the identity that would sign it.
     */
    static AuditingKms createUnsigned(StrongroomConfig config, String principal) {
        return create(config, principal, null, false);
    }

    private static AuditingKms create(StrongroomConfig config, String principal, java.nio.file.Path auditFile,
            boolean signed) {
        Kms backend = backend(config, System.getenv());
        try {
            StrongroomConfig.KmsSettings k = config.kms();
            Kms resilient = ResilientKms.wrap(backend, Duration.ofMillis(100), Duration.ofSeconds(5), k.retryAttempts());
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
     * Where audit events are made durable before Kafka acknowledges them ({@code DATA_DIR/audit-spool}, 0700): one
     * spool per emitter; a start ships those of stopped emitters.
     */
    static Path auditSpoolDir(StrongroomConfig config) {
        return Path.of(config.dataDir(), "audit-spool");
    }

    static Kms backend(StrongroomConfig config, Map<String, String> env) {
        return switch (config.kms().type()) {
            case "local" -> {
                StrongroomConfig.LocalKmsSettings local = config.kms().local();
                yield LocalKms.open(new LocalKms.Options(Path.of(local.directory()), passphrase(local, env),
                        local.autoCreate(), config.environment(), local.allowInProd(), LocalKms.DEFAULT_ITERATIONS));
            }
            case "pkcs11" -> {
                StrongroomConfig.Pkcs11Settings p = config.kms().pkcs11();
                yield Pkcs11Kms.open(new Pkcs11Kms.Options(p.library(), p.slotListIndex(),
                        secret("kms.pkcs11.pin-file", p.pinFile(), PIN_VARIABLE, "PKCS#11 token needs a PIN", env),
                        Path.of(p.directory()), p.autoCreate()));
            }
            case "aws-kms" -> {
                StrongroomConfig.AwsKmsSettings a = config.kms().aws();
                var builder = KmsClient.builder().httpClientBuilder(Apache5HttpClient.builder());
                if (a.region() != null) {
                    builder.region(Region.of(a.region()));
                }
                if (a.endpoint() != null) {
                    builder.endpointOverride(java.net.URI.create(a.endpoint()));
                }
                yield new AwsKms(builder.build(), a.aliasPrefix());
            }
            default -> throw new IllegalArgumentException("kms.type " + config.kms().type() + " is not supported");
        };
    }

    private static char[] passphrase(StrongroomConfig.LocalKmsSettings local, Map<String, String> env) {
        return secret("kms.local.passphrase-file", local.passphraseFile(), PASSPHRASE_VARIABLE, "local KMS needs a passphrase", env);
    }

    /** A secret from a file (preferred) or an environment variable; never from the YAML itself. */
    private static char[] secret(String fileKey, String file, String variable, String what, Map<String, String> env) {
        if (file != null) {
            try {
                return Files.readString(Path.of(file)).strip().toCharArray();
            } catch (IOException e) {
                throw new ConfigException(fileKey + ": cannot read " + file + ": " + e.getMessage());
            }
        }
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            throw new ConfigException("the " + what + ": set " + variable + " or " + fileKey);
        }
        return value.toCharArray();
    }
}
