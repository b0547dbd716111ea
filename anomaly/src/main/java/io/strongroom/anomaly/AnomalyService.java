package io.strongroom.anomaly;

import io.strongroom.schemas.FailingHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The anomaly detector: a Kafka Streams app from {@code strongroom.audit} to {@code strongroom.alerts}. */
public final class AnomalyService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnomalyService.class);
    private final KafkaStreams streams;

    private AnomalyService(KafkaStreams streams) {
        this.streams = streams;
    }

    /**
     * Starts the detector.
     *
     * @param config rules and windows
     * @param kafka base Kafka client properties
     * @param stateDir Kafka Streams state directory
     */
    public static AnomalyService start(AnomalyConfig config, Map<String, Object> kafka, Path stateDir) {
        KafkaStreams streams = new KafkaStreams(AnomalyTopology.build(config), streamsProperties(config, kafka, stateDir));
        streams.setUncaughtExceptionHandler(e -> {
            LOG.atError().setCause(e).log("anomaly detector thread failed, replacing it: {}", e.getMessage());
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        LOG.atInfo().addKeyValue("applicationId", config.applicationId()).addKeyValue("window", config.window())
                .log("anomaly detector started");
        return new AnomalyService(streams);
    }

    /** The Kafka Streams properties of the detector: {@code kafka}, and what it must have over them. */
    static Properties streamsProperties(AnomalyConfig config, Map<String, Object> kafka, Path stateDir) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2); // each alert once
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put("processing.exception.handler.global.enabled", true);
        return FailingHandlers.pin(props, "anomaly detector"); // no audit event skipped unseen
    }

    /** The Streams client state. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    @Override
    public void close() {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
