package io.strongroom.encryptor;

import io.strongroom.crypto.kms.Kms;
import io.strongroom.schemas.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The encryptor topology: {@code strongroom.changes} → seal → {@code strongroom.segments}, with
 * three logged stores holding no plaintext: open segments (wrapped DEK, offsets, counts), buffered
 * records (ciphertext under the segment's DEK) and the last sealed segment per (tenant, partition).
 */
public final class EncryptorTopology {
    static final String SOURCE = "changes-source";
    static final String SEAL = "seal";
    static final String SINK = "segments-sink";
    static final String OPEN_STORE = "open-segments";
    static final String RECORDS_STORE = "segment-records";
    static final String CHAIN_STORE = "segment-chain";

    private EncryptorTopology() {}

    /**
     * Builds the topology; tests call this too.
     *
     * @param config encryptor settings
     * @param environment environment name bound into every segment (e.g. {@code prod})
     * @param kms where data keys come from
     */
    public static Topology topology(EncryptorConfig config, String environment, Kms kms) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), Topics.CHANGES.name());
        topology.addProcessor(SEAL, () -> new SegmentProcessor(config, environment, kms), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OPEN_STORE),
                Serdes.String(), Serdes.ByteArray()), SEAL);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RECORDS_STORE),
                Serdes.String(), Serdes.ByteArray()), SEAL);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CHAIN_STORE),
                Serdes.String(), Serdes.String()), SEAL);
        topology.addSink(SINK, Topics.SEGMENTS.name(), new StringSerializer(), new ByteArraySerializer(), SEAL);
        return topology;
    }
}
