package io.strongroom.anomaly.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * {@code strongroom.audit} → rules → {@code strongroom.alerts}. Key-version states come from the compacted
 * {@code strongroom.keys} topic as a global table, so every instance sees every key.
 */
public final class AnomalyTopology {
    static final String PRINCIPALS_STORE = "anomaly-principals";
    static final String KEYS_STORE = "anomaly-keys";
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnomalyTopology() {}

    /** Builds the topology; tests call this too. */
    public static Topology topology(AnomalyConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.globalTable(Topics.KEYS.name(), Consumed.with(Topics.KEYS.keySerde(), Topics.KEYS.valueSerde()),
                Materialized.<String, KeyVersionEvent, KeyValueStore<Bytes, byte[]>>as(KEYS_STORE)
                        .withKeySerde(Topics.KEYS.keySerde()).withValueSerde(Topics.KEYS.valueSerde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PRINCIPALS_STORE), Serdes.String(),
                json(AnomalyProcessor.PrincipalState.class)));
        // by principal, so that one principal's events meet in one task whichever emitter wrote them
        builder.stream(Topics.AUDIT.name(), Consumed.with(Topics.AUDIT.keySerde(), Topics.AUDIT.valueSerde()))
                .selectKey((emitter, e) -> e == null ? emitter : e.getPrincipal())
                .repartition(Repartitioned.with(Topics.AUDIT.keySerde(), Topics.AUDIT.valueSerde())
                        .withName("by-principal"))
                .process(() -> new AnomalyProcessor(config), PRINCIPALS_STORE)
                .to(Topics.ALERTS.name(), Produced.with(Topics.ALERTS.keySerde(), Topics.ALERTS.valueSerde()));
        return builder.build();
    }

    static <T> Serde<T> json(Class<T> type) {
        return Serdes.serdeFrom((topic, value) -> {
            try {
                return value == null ? null : JSON.writeValueAsBytes(value);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }, (topic, bytes) -> {
            try {
                return bytes == null ? null : JSON.readValue(bytes, type);
            } catch (IOException e) {
                throw new IllegalStateException("unreadable " + type.getSimpleName() + " in " + topic + ": " + e.getMessage(), e);
            }
        });
    }
}
