package io.strongroom.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.Classification;
import io.strongroom.crypto.kms.aws.AwsKmsConfig;
import io.strongroom.crypto.kms.local.LocalKmsConfig;
import io.strongroom.crypto.kms.pkcs11.Pkcs11KmsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String MINIMAL = "environment: dev\ns3:\n  bucket: backups\n";
    @TempDir Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("strongroom.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private StrongroomConfig load(String yaml) throws Exception {
        return ConfigLoader.load(file(yaml), Map.of());
    }

    @Test
    void minimalFileGetsDocumentedDefaults() throws Exception {
        StrongroomConfig c = load(MINIMAL);
        assertThat(c.kafka().bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.kafka().partitions()).isEqualTo(6);
        assertThat(c.encryptor().segmentMaxRecords()).isEqualTo(10_000);
        assertThat(c.encryptor().segmentMaxAge()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.kms().type()).isEqualTo("local");
        assertThat(c.kms().settings(LocalKmsConfig.class).autoCreate()).isFalse();
        assertThat(c.s3().region()).isEqualTo("us-east-1");
        assertThat(c.ingest().topicPattern()).isEqualTo("cdc\\..*");
    }

    @Test
    void kebabCaseKeysNestedSectionsAndDurationsAreRead() throws Exception {
        StrongroomConfig c = load(MINIMAL + "kafka:\n  bootstrap-servers: k1:9092,k2:9092\n  properties:\n    security.protocol: SSL\n"
                + "encryptor:\n  segment-max-records: 500\n  segment-max-age: PT5S\ncoordinator:\n  tenants: [acme, globex]\n"
                + "ingest:\n  topic-discovery-interval: PT2S\n");
        assertThat(c.kafka().clientProperties()).containsEntry("bootstrap.servers", "k1:9092,k2:9092")
                .containsEntry("security.protocol", "SSL");
        assertThat(c.encryptor().segmentMaxRecords()).isEqualTo(500);
        assertThat(c.encryptor().segmentMaxAge()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.coordinator().tenants()).containsExactly("acme", "globex");
        assertThat(c.ingest().topicDiscoveryInterval()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void environmentVariablesOverrideTheFile() throws Exception {
        StrongroomConfig c = ConfigLoader.load(file(MINIMAL + "encryptor:\n  segment-max-records: 500\n"), Map.of(
                "STRONGROOM_KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "STRONGROOM_ENCRYPTOR_SEGMENT_MAX_RECORDS", "42",
                "STRONGROOM_COORDINATOR_TENANTS", "a, b",
                "STRONGROOM_S3_BUCKET", "other-bucket",
                "STRONGROOM_JAVA_OPTS", "-Xmx1g"));
        assertThat(c.kafka().bootstrapServers()).isEqualTo("broker:9093");
        assertThat(c.encryptor().segmentMaxRecords()).isEqualTo(42);
        assertThat(c.coordinator().tenants()).containsExactly("a", "b");
        assertThat(c.s3().bucket()).isEqualTo("other-bucket");
        assertThat(ConfigLoader.overridableKeys()).containsEntry("kms.local.auto-create", "STRONGROOM_KMS_LOCAL_AUTO_CREATE");
    }

    @Test
    void unknownKeyIsNamedWithItsPathAndLine() {
        assertThatThrownBy(() -> load(MINIMAL + "kafka:\n  bootstrap: localhost:9092\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("strongroom.yaml: unknown key 'kafka.bootstrap' at line 5")
                .hasMessageContaining("bootstrap-servers")
                .hasMessageNotContaining("\n");
    }

    @Test
    void wrongTypeIsNamed() {
        assertThatThrownBy(() -> load(MINIMAL + "encryptor:\n  segment-max-records: lots\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("wrong type for 'encryptor.segment-max-records' at line 5")
                .hasMessageContaining("expected an integer, got 'lots'");
        assertThatThrownBy(() -> load(MINIMAL + "encryptor:\n  segment-max-age: soon\n"))
                .hasMessageContaining("'encryptor.segment-max-age'").hasMessageContaining("ISO-8601 duration");
        assertThatThrownBy(() -> load(MINIMAL + "ingest:\n  default-classification: SECRET\n"))
                .hasMessageContaining("'ingest.default-classification'").hasMessageContaining("[PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED]");
        assertThatThrownBy(() -> load(MINIMAL + "kafka: 3\n")).hasMessageContaining("wrong type for 'kafka'");
    }

    @Test
    void missingRequiredValuesAreNamed() {
        assertThatThrownBy(() -> load("s3:\n  bucket: b-1\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("environment is required");
        assertThatThrownBy(() -> load("environment: dev\n"))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("s3.bucket is required");
        assertThatThrownBy(() -> load(""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("environment is required");
    }

    @Test
    void invalidValuesGetTheConstructorsMessage() {
        assertThatThrownBy(() -> load(MINIMAL + "encryptor:\n  segment-max-records: 0\n"))
                .hasMessageEndingWith("encryptor.segment-max-records must be between 1 and 1000000, got 0");
        assertThatThrownBy(() -> load(MINIMAL + "kafka:\n  bootstrap-servers: 'no port'\n"))
                .hasMessageContaining("kafka.bootstrap-servers must be host:port");
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  type: vault\n"))
                .hasMessageContaining("kms.type must be one of [local, pkcs11, aws-kms], got 'vault'");
    }

    @Test
    void eachKmsBackendsSectionBindsToItsProvidersOwnRecord() throws Exception {
        StrongroomConfig c = ConfigLoader.load(file(MINIMAL + "kms:\n  type: pkcs11\n  pkcs11:\n    slot-list-index: 3\n"
                + "  aws:\n    alias-prefix: alias/sr-\n"), Map.of("STRONGROOM_KMS_LOCAL_DIRECTORY", "/var/lib/sr-kms"));
        assertThat(c.kms().provider().name()).isEqualTo("pkcs11");
        assertThat(c.kms().settings(Pkcs11KmsConfig.class)).isEqualTo(
                new Pkcs11KmsConfig("/usr/lib/softhsm/libsofthsm2.so", 3, null, "./data/kms-pkcs11", false));
        assertThat(c.kms().settings(AwsKmsConfig.class).aliasPrefix()).isEqualTo("alias/sr-");
        assertThat(c.kms().settings(LocalKmsConfig.class).directory()).as("overridden from the environment")
                .isEqualTo("/var/lib/sr-kms");
        assertThat(ConfigLoader.overridableKeys()).containsEntry("kms.pkcs11.pin-file", "STRONGROOM_KMS_PKCS11_PIN_FILE")
                .containsEntry("kms.aws.endpoint", "STRONGROOM_KMS_AWS_ENDPOINT");
    }

    @Test
    void aBadKmsBackendSettingIsNamedWithItsSection() {
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  pkcs11:\n    slot-list-index: -1\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("kms.pkcs11.slot-list-index must be >= 0, got -1");
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  aws:\n    alias-prefix: strongroom-\n"))
                .hasMessageEndingWith("kms.aws.alias-prefix must start with alias/, got 'strongroom-'");
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  local:\n    directroy: /x\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'kms.local.directroy' at line 6")
                .hasMessageContaining("known keys here: allow-in-prod, auto-create, directory, passphrase-file");
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  local:\n    auto-create: maybe\n"))
                .hasMessageContaining("wrong type for 'kms.local.auto-create' at line 6: expected true or false");
        assertThatThrownBy(() -> load(MINIMAL + "kms:\n  vault:\n    address: https://vault:8200\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'kms.vault' at line 5 (known keys here: audit-buffer, aws, local, pkcs11, "
                        + "retry-attempts, timeout, type, unwrap-cache-size, unwrap-cache-ttl)");
    }

    @Test
    void theAuditCheckpointsStalenessLimitIsIntervalsOfTheCheckpointInterval() throws Exception {
        StrongroomConfig defaults = load(MINIMAL);
        assertThat(defaults.audit().staleAfterIntervals()).isEqualTo(3);
        assertThat(defaults.audit().checkpointMaxAge()).isEqualTo(Duration.ofMinutes(15));
        StrongroomConfig c = load(MINIMAL + "audit:\n  checkpoint-interval: PT2M\n  stale-after-intervals: 5\n");
        assertThat(c.audit().checkpointMaxAge()).isEqualTo(Duration.ofMinutes(10));
        assertThat(ConfigLoader.load(file(MINIMAL), Map.of("STRONGROOM_AUDIT_STALE_AFTER_INTERVALS", "2")).audit()
                .staleAfterIntervals()).isEqualTo(2);
        assertThatThrownBy(() -> load(MINIMAL + "audit:\n  stale-after-intervals: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("audit.stale-after-intervals must be at least 1, got 0");
    }

    @Test
    void unreadableOrMalformedFilesAreOneLine() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("missing.yaml: no such file");
        assertThatThrownBy(() -> load("environment: [dev\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid YAML at line").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> load("- a\n- b\n")).hasMessageContaining("top level must be a mapping");
    }

    @Test
    void archiveReplicasAndTheirAckPolicyAreReadAndChecked() throws Exception {
        StrongroomConfig c = load(MINIMAL + "archiver:\n  replicas:\n    - endpoint: https://s3.eu-west-1.example\n"
                + "      region: eu-west-1\n      bucket: backups-west\n  min-acks: 1\n");
        assertThat(c.archiver().replicas()).singleElement().satisfies(r -> {
            assertThat(r.bucket()).isEqualTo("backups-west");
            assertThat(r.region()).isEqualTo("eu-west-1");
        });
        assertThat(c.archiver().minAcks()).isEqualTo(1);
        assertThat(load(MINIMAL + "archiver:\n  replicas:\n    - bucket: backups-2\n").archiver().minAcks()).as("default: all").isEqualTo(2);
        assertThatThrownBy(() -> load(MINIMAL + "archiver:\n  replicas:\n    - bucket: backups-2\n  min-acks: 3\n"))
                .hasMessageContaining("archiver.min-acks must be between 1 and 2");
    }

    @Test
    void theConfigurationShippedForDockerComposeIsValid() {
        StrongroomConfig c = ConfigLoader.load(Path.of("..", "deploy", "strongroom.compose.yaml"), Map.of());
        assertThat(c.archiver().objectLock()).isEqualTo("GOVERNANCE");
        assertThat(c.archiver().retentionPolicy().expiry(Classification.PUBLIC, 0)).isEqualTo(Instant.EPOCH.plus(Duration.ofDays(90)));
        assertThat(c.archiver().retentionPolicy().expiry(null, 0)).as("unclassified: kept").isNull();
    }

    @Test
    void aTenantsRotationPolicyIsItsOwnElseItsMostSensitiveClassificationsElseTheDefault() throws Exception {
        StrongroomConfig c = load(MINIMAL + "ingest:\n  default-classification: INTERNAL\n  classifications:\n"
                + "    \"acme/public.cards\": RESTRICTED\n"
                + "coordinator:\n  tenants: [acme, globex, initech]\n  policy:\n    rotation-period: P90D\n"
                + "  classification-policies:\n    RESTRICTED:\n      rotation-period: P30D\n"
                + "  tenant-policies:\n    initech:\n      rotation-period: P7D\n");
        assertThat(c.rotationPolicy("acme").rotationPeriod()).isEqualTo(Duration.ofDays(30));
        assertThat(c.rotationPolicy("globex").rotationPeriod()).isEqualTo(Duration.ofDays(90));
        assertThat(c.rotationPolicy("initech").rotationPeriod()).isEqualTo(Duration.ofDays(7));
        assertThatThrownBy(() -> load(MINIMAL + "coordinator:\n  tenant-policies:\n    nobody:\n      rotation-period: P7D\n"))
                .hasMessageContaining("coordinator.tenant-policies names tenant 'nobody', which is not in coordinator.tenants");
    }
}
