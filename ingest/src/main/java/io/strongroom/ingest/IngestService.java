package io.strongroom.ingest;

import io.strongroom.ingest.internal.IngestTopology;
import io.strongroom.schemas.FailingHandlers;
import io.strongroom.streams.StreamsApp;
import io.strongroom.streams.StreamsService;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/** Runs the ingest topology with exactly-once processing (a {@link StreamsApp}). */
public final class IngestService extends StreamsService {
    private IngestService(StreamsApp app) {
        super(app);
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
        return new IngestService(StreamsApp.start("ingest", IngestTopology.topology(config, sealer),
                streamsProperties(config, kafka, stateDir), StreamsApp.shutDownOnError("ingest"), s -> { }));
    }

    /** The Kafka Streams properties of ingest: {@code kafka}, and what ingest must have over them. */
    static Properties streamsProperties(IngestConfig config, Map<String, Object> kafka, Path stateDir) {
        Properties props = StreamsApp.properties(config.applicationId(), kafka, stateDir);
        // The topology reads its CDC topics by pattern, so Kafka Streams subscribes its main consumer with that pattern
        // (the classic protocol: the streams protocol refuses patterns). The consumer matches it against the cluster's
        // topics on each metadata refresh, which comes every metadata.max.age.ms (Kafka's default 5 minutes), and a
        // new match makes it rejoin the group and get the new topic's partitions. Only the main consumer: the restore
        // and global consumers have no pattern, and each refresh of a pattern's metadata asks for every topic.
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG),
                config.topicDiscoveryInterval().toMillis());
        // an event is as large as the record it keeps (ingest.max-record-bytes) plus key, headers and fields: the
        // producer's default 1 MiB would stop ingest at the first record near the limit (LargeRecordIT)
        int request = config.maxRecordBytes() + 1024 * 1024;
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), request);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), Math.max(32L << 20, 2L * request));
        streamsSettings().forEach(props::putIfAbsent); // kafka.properties may set any of them
        return FailingHandlers.pin(props, "ingest"); // a record it cannot process stops it, never skipped (StreamsApp pins them again)
    }

    /**
     * Kafka Streams settings of ingest beyond the defaults, for many CDC partitions (kafka.properties overrides them).
     */
    public static Map<String, Object> streamsSettings() {
        Map<String, Object> settings = new LinkedHashMap<>();
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
}
