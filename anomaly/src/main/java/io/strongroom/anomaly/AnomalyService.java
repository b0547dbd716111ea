package io.strongroom.anomaly;

import io.strongroom.anomaly.internal.AnomalyTopology;
import io.strongroom.schemas.FailingHandlers;
import io.strongroom.streams.StreamsApp;
import io.strongroom.streams.StreamsService;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** The anomaly detector: a Kafka Streams app ({@link StreamsApp}) from {@code strongroom.audit} to {@code strongroom.alerts}. */
public final class AnomalyService extends StreamsService {
    private AnomalyService(StreamsApp app) {
        super(app);
    }

    /**
     * Starts the detector.
     *
     * @param config rules and windows
     * @param kafka base Kafka client properties
     * @param stateDir Kafka Streams state directory
     */
    public static AnomalyService start(AnomalyConfig config, Map<String, Object> kafka, Path stateDir) {
        return new AnomalyService(StreamsApp.start("anomaly detector", AnomalyTopology.topology(config),
                streamsProperties(config, kafka, stateDir), StreamsApp.replaceThreadOnError("anomaly detector"), s -> { }));
    }

    /** The Kafka Streams properties of the detector: {@code kafka}, and what it must have over them. */
    static Properties streamsProperties(AnomalyConfig config, Map<String, Object> kafka, Path stateDir) {
        // exactly once: each alert once; no audit event skipped unseen
        return FailingHandlers.pin(StreamsApp.properties(config.applicationId(), kafka, stateDir), "anomaly detector");
    }
}
