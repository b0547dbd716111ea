package io.strongroom.ingest;

import io.strongroom.schemas.FailingHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the ingest topology with exactly-once processing. */
public final class IngestService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);
    private final KafkaStreams streams;

    private IngestService(KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * Starts ingest.
     *
     * @param config ingest settings
     * @param kafka base Kafka client properties (bootstrap servers, security)
     * @param stateDir Kafka Streams state directory
     */
    public static IngestService start(IngestConfig config, Map<String, Object> kafka, Path stateDir) {
        return start(config, kafka, stateDir, null);
    }

    /**
     * Starts ingest.
     *
     * @param config ingest settings
     * @param kafka base Kafka client properties (bootstrap servers, security)
     * @param stateDir Kafka Streams state directory
     * @param sealer seals rejected records into their dead letters; null keeps only a reference
     */
    public static IngestService start(IngestConfig config, Map<String, Object> kafka, Path stateDir, DeadLetterSealer sealer) {
        Properties props = streamsProperties(config, kafka, stateDir);
        KafkaStreams streams = new KafkaStreams(IngestTopology.topology(config, sealer), props);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.atError().setCause(e).log("ingest stopped on an unexpected error; restart it once the cause is fixed");
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        LOG.atInfo().addKeyValue("applicationId", config.applicationId()).addKeyValue("topics", config.topicPattern())
                .log("ingest started");
        return new IngestService(streams);
    }

    /** The Kafka Streams properties of ingest: {@code kafka}, and what ingest must have over them. */
    static Properties streamsProperties(IngestConfig config, Map<String, Object> kafka, Path stateDir) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put("processing.exception.handler.global.enabled", true);
        props.put(StreamsConfig.consumerPrefix("metadata.max.age.ms"), 5_000); // pick up new CDC topics quickly
        streamsSettings().forEach(props::putIfAbsent); // kafka.properties may set any of them
        return FailingHandlers.pin(props, "ingest"); // a record it cannot process stops it, never skipped
    }

    /**
     * Kafka Streams settings of ingest beyond the defaults, for many CDC partitions (kafka.properties overrides them).
     */
    public static Map<String, Object> streamsSettings() {
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        // Ingest is stateless and keeps each partition's order: never hold a ready partition back to line its records
        // up by time with the others (with one CDC topic per tenant, that is thousands of partitions to wait on).
        settings.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // A transaction per second rather than exactly-once's default ten: each commits the offsets of every CDC
        // partition consumed, which with thousands of tenants' topics costs more than the records themselves.
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1_000);
        // The Kafka clients keep a few dozen metrics per CDC partition (per-topic ones twice when names have dots).
        // Strongroom's services export theirs on /metrics, so do not mirror those into JMX beans and client telemetry
        // as well: with 10,000 single-partition topics that was 300,000 more objects each, a third of the heap.
        // kafka.properties sets either back (metric.reporters: org.apache.kafka.common.metrics.JmxReporter).
        settings.put(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG, "");
        settings.put("enable.metrics.push", false);
        return settings;
    }

    /** The Streams client state (RUNNING, ERROR...). */
    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        // Leave the group: a restarted or replacement instance gets the partitions at once instead of
        // waiting out the session timeout of a member that is gone.
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
