package io.strongroom.cli.demo;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Embedded Kafka and S3 plus a local KMS directory under one data directory, and a configuration
 * file ({@code strongroom.yaml}) that other {@code strongroom} subcommands can use against them.
 */
public final class Sandbox implements AutoCloseable {
    /** Bucket the demo archives into. */
    public static final String BUCKET = "strongroom-demo";

    private final Path dir;
    private final EmbeddedKafka kafka;
    private final EmbeddedS3 s3;
    private final Path configFile;
    private final StrongroomConfig config;

    private Sandbox(Path dir, EmbeddedKafka kafka, EmbeddedS3 s3, Path configFile, StrongroomConfig config) {
        this.dir = dir;
        this.kafka = kafka;
        this.s3 = s3;
        this.configFile = configFile;
        this.config = config;
    }

    /**
     * Starts everything under {@code dir}.
     *
     * @param segmentMaxAge ISO-8601 max age of a segment, e.g. {@code PT2S}
     */
    public static Sandbox start(Path dir, String segmentMaxAge) {
        return start(dir, segmentMaxAge, 2000);
    }

    /** Starts everything under {@code dir}, sealing segments of at most {@code segmentMaxRecords} records too. */
    public static Sandbox start(Path dir, String segmentMaxAge, int segmentMaxRecords) {
        return start(dir, segmentMaxAge, segmentMaxRecords, null);
    }

    /**
     * Starts everything under {@code dir} with encryption in transit: the broker's only client listener is SSL and
     * S3 speaks only HTTPS, both with a certificate made now ({@code dir/tls}), which the config trusts.
     */
    public static Sandbox startTls(Path dir, String segmentMaxAge) {
        return start(dir, segmentMaxAge, 2000, TestTls.create(dir.resolve("tls")));
    }

    private static Sandbox start(Path dir, String segmentMaxAge, int segmentMaxRecords, TestTls tls) {
        EmbeddedKafka kafka = tls == null ? EmbeddedKafka.start(dir.resolve("kafka"), false, Map.of())
                : EmbeddedKafka.startTls(dir.resolve("kafka"), false, tls);
        EmbeddedS3 s3 = null;
        try {
            s3 = tls == null ? EmbeddedS3.start(dir.resolve("s3"), false) : EmbeddedS3.startHttps(dir.resolve("s3"), false, tls);
            s3.createBucket(BUCKET);
            Path passphrase = passphraseFile(dir);
            Path configFile = dir.resolve("strongroom.yaml");
            Files.writeString(configFile, String.join("\n",
                    "# Written by `strongroom demo`: points at its embedded Kafka, S3 and local KMS.",
                    "environment: demo",
                    "data-dir: " + dir.resolve("state"),
                    "kafka:",
                    "  bootstrap-servers: " + kafka.bootstrapServers(),
                    "  partitions: 3",
                    "  replication-factor: 1",
                    tls == null ? "" : "  properties: {security.protocol: SSL, ssl.truststore.location: " + tls.truststore()
                            + ", ssl.truststore.type: PKCS12, ssl.truststore.password: " + tls.password() + "}",
                    s3Yaml(s3.endpoint().toString(), BUCKET),
                    tls == null ? "" : "  trust-store: " + tls.truststore() + "\n  trust-store-password: " + tls.password(),
                    localKmsYaml(dir.resolve("kms"), passphrase),
                    dlqDigestYaml(dlqDigestKeyFile(dir)),
                    identityYaml(dir.resolve("identity"), "demo"),
                    "encryptor:",
                    "  segment-max-records: " + segmentMaxRecords,
                    "  segment-max-age: " + segmentMaxAge,
                    ""));
            StrongroomConfig config = ConfigLoader.load(configFile, Map.of());
            return new Sandbox(dir, kafka, s3, configFile, config);
        } catch (IOException e) {
            close(kafka, s3);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close(kafka, s3);
            throw e;
        }
    }

    /** The {@code s3:} section for an embedded or local S3Proxy (its fixed credentials). */
    public static String s3Yaml(String endpoint, String bucket) {
        return String.join("\n",
                "s3:",
                "  endpoint: " + endpoint,
                "  region: " + EmbeddedS3.REGION,
                "  bucket: " + bucket,
                "  access-key: " + EmbeddedS3.ACCESS_KEY,
                "  secret-key: " + EmbeddedS3.SECRET_KEY);
    }

    /** The {@code kms:} section for a local (development) KMS in {@code directory}, creating keys on first use. */
    public static String localKmsYaml(Path directory, Path passphrase) {
        return String.join("\n",
                "kms:",
                "  type: local",
                "  local:",
                "    directory: " + directory,
                "    auto-create: true",
                "    passphrase-file: " + passphrase);
    }

    /** {@code dir/kms-passphrase}, made (random, readable by the owner only) unless it exists. */
    public static Path passphraseFile(Path dir) throws IOException {
        return secretFile(dir.resolve("kms-passphrase"));
    }

    /** {@code dir/dlq-digest-key}: the secret of dead letters' payload digests, made like the passphrase. */
    public static Path dlqDigestKeyFile(Path dir) throws IOException {
        return secretFile(dir.resolve("dlq-digest-key"));
    }

    /**
     * The {@code identity:} section for signing identities of every role in {@code directory} and a trust file of all
     * of them beside, made unless they exist (what {@code strongroom identity init --all} does on a real deployment).
     */
    public static String identityYaml(Path directory, String environment) throws IOException {
        Files.createDirectories(directory);
        Path trustFile = directory.resolve("trust.json");
        TrustFile trust = Files.exists(trustFile)
                ? TrustFile.load(trustFile)
                : TrustFile.empty(environment);
        for (Role role : Role.values()) {
            Path file = directory.resolve(role.name().toLowerCase(Locale.ROOT) + ".identity.json");
            if (!Files.exists(file)) {
                trust = trust.with(IdentityFile.create(file, role, environment));
            }
        }
        trust.write(trustFile);
        return "identity:\n  directory: " + directory + "\n  trust-file: " + trustFile;
    }

    /** The {@code ingest:} section naming the DLQ digest key file. */
    public static String dlqDigestYaml(Path keyFile) {
        return "ingest:\n  dlq-digest-key-file: " + keyFile;
    }

    /** {@code file}, made (two random UUIDs, 72 characters, readable by the owner only) unless it exists. */
    private static Path secretFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, UUID.randomUUID() + "-" + UUID.randomUUID());
        }
        return file;
    }

    public Path dir() {
        return dir;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedS3 s3() {
        return s3;
    }

    public Path configFile() {
        return configFile;
    }

    public StrongroomConfig config() {
        return config;
    }

    @Override
    public void close() {
        close(kafka, s3);
    }

    private static void close(EmbeddedKafka kafka, EmbeddedS3 s3) {
        if (s3 != null) {
            s3.close();
        }
        kafka.close();
    }
}
