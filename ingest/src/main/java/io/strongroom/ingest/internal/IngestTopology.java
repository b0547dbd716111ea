package io.strongroom.ingest.internal;

import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestConfig;
import io.strongroom.schemas.Topics;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;

/** The ingest topology: CDC topics → normalize → {@code strongroom.changes} | {@code strongroom.ingest.dlq}. */
public final class IngestTopology {
    static final String SOURCE = "cdc-source";
    static final String NORMALIZE = "normalize";
    static final String CHANGES_SINK = "changes-sink";
    static final String DLQ_SINK = "dlq-sink";

    private IngestTopology() {}

    /** Builds the topology with dead letters that keep only a reference to the rejected record. */
    public static Topology topology(IngestConfig config) {
        return topology(config, null);
    }

    /**
     * Builds the topology; tests call this too.
     *
     * @param sealer seals each rejected record into its dead letter; null keeps only a reference
     */
    public static Topology topology(IngestConfig config, DeadLetterSealer sealer) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Pattern.compile(config.topicPattern()));
        topology.addProcessor(NORMALIZE, () -> new NormalizeProcessor(config, sealer), SOURCE);
        topology.addSink(CHANGES_SINK, Topics.CHANGES.name(), new StringSerializer(), new ByteArraySerializer(), NORMALIZE);
        topology.addSink(DLQ_SINK, Topics.INGEST_DLQ.name(), new StringSerializer(), new ByteArraySerializer(), NORMALIZE);
        return topology;
    }
}
