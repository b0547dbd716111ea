package io.strongroom.ingest;

import io.strongroom.avro.Classification;
import io.strongroom.ingest.source.PostgresSourceConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Settings of the ingest service.
 *
 * @param applicationId Kafka Streams application id (consumer group, transactional id prefix)
 * @param topicPattern regex of CDC topics to consume
 * @param tenantPattern regex applied to the topic name; its named group {@code tenant} is the
 *     tenant, an optional named group {@code table} the table (else Debezium's source schema.table)
 * @param tenants tenants accepted; empty accepts every tenant the pattern yields
 * @param defaultClassification classification of events no policy entry matches
 * @param maxRecordBytes largest accepted record value, in bytes
 * @param tenantFrom where the tenant comes from: {@code topic} (the tenant pattern), {@code header} or
 *     {@code field} (a JSON pointer into the Debezium payload; tombstones fall back to the topic)
 * @param tenantHeader the header naming the tenant when {@code tenantFrom} is {@code header}
 * @param tenantField JSON pointer of the tenant in the payload when {@code tenantFrom} is {@code field}
 * @param classifications policy: {@code tenant/table}, {@code * /table} or {@code tenant/*} → classification;
 *     the most specific entry wins
 * @param postgres the embedded Debezium PostgreSQL source, used with {@code strongroom ingest --source postgres}
 * @param dlqDigestKeyFile file holding the secret of dead letters' payload digests ({@link PayloadDigest}); null:
 *     {@code $STRONGROOM_DLQ_DIGEST_KEY}
 * @param topicDiscoveryInterval how often ingest looks for new topics matching {@code topicPattern} (the main
 *     consumer's {@code metadata.max.age.ms}): a new tenant's or table's CDC topic is read within about this long of
 *     its creation; each look is a metadata request for every topic in the cluster
 */
public record IngestConfig(String applicationId, String topicPattern, String tenantPattern, List<String> tenants,
        Classification defaultClassification, Integer maxRecordBytes, String tenantFrom, String tenantHeader,
        String tenantField, Map<String, Classification> classifications, PostgresSourceConfig postgres,
        String dlqDigestKeyFile, Duration topicDiscoveryInterval) {

    public static final String DEFAULT_TOPIC_PATTERN = "cdc\\..*";
    public static final String DEFAULT_TENANT_PATTERN = "cdc\\.(?<tenant>[^.]+)\\..*";
    /** Kafka's default, 5 minutes, is how long a new CDC topic could wait; 5 s keeps its data's RPO in seconds. */
    public static final Duration DEFAULT_TOPIC_DISCOVERY_INTERVAL = Duration.ofSeconds(5);
    private static final Duration MIN_TOPIC_DISCOVERY_INTERVAL = Duration.ofSeconds(1);
    private static final Duration MAX_TOPIC_DISCOVERY_INTERVAL = Duration.ofMinutes(5);

    public IngestConfig {
        applicationId = Objects.requireNonNullElse(applicationId, "strongroom-ingest");
        topicPattern = Objects.requireNonNullElse(topicPattern, DEFAULT_TOPIC_PATTERN);
        tenantPattern = Objects.requireNonNullElse(tenantPattern, DEFAULT_TENANT_PATTERN);
        tenants = List.copyOf(Objects.requireNonNullElse(tenants, List.of()));
        defaultClassification = Objects.requireNonNullElse(defaultClassification, Classification.CONFIDENTIAL);
        maxRecordBytes = Objects.requireNonNullElse(maxRecordBytes, 1024 * 1024);
        tenantFrom = Objects.requireNonNullElse(tenantFrom, "topic");
        tenantHeader = Objects.requireNonNullElse(tenantHeader, "strongroom-tenant");
        tenantField = Objects.requireNonNullElse(tenantField, "/source/db");
        if (!tenantField.startsWith("/")) {
            throw new IllegalArgumentException("ingest.tenant-field must be a JSON pointer such as /source/db, got '"
                    + tenantField + "'");
        }
        classifications = Map.copyOf(Objects.requireNonNullElse(classifications, Map.of()));
        postgres = Objects.requireNonNullElse(postgres, PostgresSourceConfig.defaults());
        if (!List.of("topic", "header", "field").contains(tenantFrom)) {
            throw new IllegalArgumentException("ingest.tenant-from must be one of [topic, header, field], got '" + tenantFrom + "'");
        }
        for (String key : classifications.keySet()) {
            if (!key.matches("[^/]+/[^/]+")) {
                throw new IllegalArgumentException("ingest.classifications keys must be tenant/table (either may be *), got '"
                        + key + "'");
            }
        }
        compile("ingest.topic-pattern", topicPattern);
        Pattern tp = compile("ingest.tenant-pattern", tenantPattern);
        if (!tp.pattern().contains("(?<tenant>")) {
            throw new IllegalArgumentException("ingest.tenant-pattern must contain a named group (?<tenant>...), got " + tenantPattern);
        }
        if (maxRecordBytes < 1024 || maxRecordBytes > 64 * 1024 * 1024) {
            throw new IllegalArgumentException("ingest.max-record-bytes must be between 1 KiB and 64 MiB, got " + maxRecordBytes);
        }
        if (applicationId.isBlank()) {
            throw new IllegalArgumentException("ingest.application-id must not be blank");
        }
        topicDiscoveryInterval = Objects.requireNonNullElse(topicDiscoveryInterval, DEFAULT_TOPIC_DISCOVERY_INTERVAL);
        if (topicDiscoveryInterval.compareTo(MIN_TOPIC_DISCOVERY_INTERVAL) < 0
                || topicDiscoveryInterval.compareTo(MAX_TOPIC_DISCOVERY_INTERVAL) > 0) {
            throw new IllegalArgumentException("ingest.topic-discovery-interval must be between " + MIN_TOPIC_DISCOVERY_INTERVAL
                    + " and " + MAX_TOPIC_DISCOVERY_INTERVAL + ", got " + topicDiscoveryInterval);
        }
    }

    /** As the canonical constructor, new topics looked for every {@link #DEFAULT_TOPIC_DISCOVERY_INTERVAL}. */
    public IngestConfig(String applicationId, String topicPattern, String tenantPattern, List<String> tenants,
            Classification defaultClassification, Integer maxRecordBytes, String tenantFrom, String tenantHeader,
            String tenantField, Map<String, Classification> classifications, PostgresSourceConfig postgres,
            String dlqDigestKeyFile) {
        this(applicationId, topicPattern, tenantPattern, tenants, defaultClassification, maxRecordBytes, tenantFrom, tenantHeader,
                tenantField, classifications, postgres, dlqDigestKeyFile, null);
    }

    /**
     * As the canonical constructor, the DLQ digest key from {@code $STRONGROOM_DLQ_DIGEST_KEY}, new topics looked for
     * every {@link #DEFAULT_TOPIC_DISCOVERY_INTERVAL}.
     */
    public IngestConfig(String applicationId, String topicPattern, String tenantPattern, List<String> tenants,
            Classification defaultClassification, Integer maxRecordBytes, String tenantFrom, String tenantHeader,
            String tenantField, Map<String, Classification> classifications, PostgresSourceConfig postgres) {
        this(applicationId, topicPattern, tenantPattern, tenants, defaultClassification, maxRecordBytes, tenantFrom, tenantHeader,
                tenantField, classifications, postgres, null, null);
    }

    /** All defaults. */
    public static IngestConfig defaults() {
        return new IngestConfig(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * The most sensitive classification any of {@code tenant}'s data can have under this policy: what its
     * key must be rotated for.
     */
    public Classification highestFor(String tenant) {
        Classification highest = defaultClassification;
        for (var e : classifications.entrySet()) {
            String t = e.getKey().substring(0, e.getKey().indexOf('/'));
            if ((t.equals(tenant) || t.equals("*")) && e.getValue().ordinal() > highest.ordinal()) {
                highest = e.getValue();
            }
        }
        return highest;
    }

    /** The classification of {@code tenant}'s {@code table}: tenant/table, then * /table, then tenant/*, then the default. */
    public Classification classify(String tenant, String table) {
        for (String key : new String[] {tenant + "/" + table, "*/" + table, tenant + "/*"}) {
            Classification c = classifications.get(key);
            if (c != null) {
                return c;
            }
        }
        return defaultClassification;
    }

    private static Pattern compile(String key, String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(key + " is not a valid regular expression: " + e.getDescription(), e);
        }
    }
}
