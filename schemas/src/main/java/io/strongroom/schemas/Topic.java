package io.strongroom.schemas;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A typed topic descriptor: its name and the serdes of its keys and values.
 *
 * @param name the topic name
 * @param keySerde serde for record keys
 * @param valueSerde serde for record values
 * @param <K> key type
 * @param <V> value type
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }
}
