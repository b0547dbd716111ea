package io.strongroom.encryptor.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.encryptor.EncryptorConfig;
import io.strongroom.encryptor.TenantKeys;
import java.util.concurrent.atomic.AtomicLong;
import io.strongroom.schemas.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The encryptor topology: {@code strongroom.changes} → seal → {@code strongroom.segments}, with
 * three logged stores holding no plaintext: open segments (wrapped DEK, offsets, counts), buffered
 * records (ciphertext under the segment's DEK) and the last sealed segment per (tenant, partition);
 * and a global store of key versions from {@code strongroom.keys}.
 */
public final class EncryptorTopology {
    static final String SOURCE = "changes-source";
    static final String SEAL = "seal";
    static final String SINK = "segments-sink";
    public static final String OPEN_STORE = "open-segments";
    public static final String RECORDS_STORE = "segment-records";
    public static final String CHAIN_STORE = "segment-chain";
    public static final String ROOT_STORE = "state-root";
    static final String KEYS_SOURCE = "keys-source";
    static final String KEYS_PROCESSOR = "keys";
    static final String KEYS_STORE = "key-versions";

    private EncryptorTopology() {}

    /**
     * Builds the topology, knowing no tenant's key ({@link TenantKeys#NONE_KNOWN}: a record it cannot decode stops the
     * task); tests call this too.
     *
     * @param config encryptor settings
     * @param environment environment name bound into every segment (e.g. {@code prod})
     * @param kms where data keys come from
     */
    public static Topology topology(EncryptorConfig config, String environment, Kms kms) {
        return topology(config, environment, kms, Metrics.globalRegistry);
    }

    /** As {@link #topology(EncryptorConfig, String, Kms)}, with the encryptor's meters in {@code registry}. */
    public static Topology topology(EncryptorConfig config, String environment, Kms kms, MeterRegistry registry) {
        return topology(config, environment, kms, TenantKeys.NONE_KNOWN, registry);
    }

    /**
     * Builds the topology.
     *
     * @param config encryptor settings
     * @param environment environment name bound into every segment (e.g. {@code prod})
     * @param kms where data keys come from (the data plane: the encryptor administers no key)
     * @param tenantKeys whether a tenant has a key, for a record this encryptor cannot decode
     * @param registry where the encryptor's meters go
     */
    public static Topology topology(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            MeterRegistry registry) {
        return topology(config, environment, kms, tenantKeys, registry, Topics.CHANGES.valueSerde().deserializer());
    }

    /**
     * As {@link #topology(EncryptorConfig, String, Kms, TenantKeys, MeterRegistry)}, decoding change events with
     * {@code decoder} (tests stand in an encryptor that knows a newer ChangeEvent schema).
     */
    static Topology topology(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            MeterRegistry registry, Deserializer<ChangeEvent> decoder) {
        return topology(config, environment, kms, tenantKeys, registry, decoder, InputAnchor.NONE);
    }

    /** As above; the state root is checked against {@code anchor} (null: for consistency only). */
    public static Topology topology(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            MeterRegistry registry, Deserializer<ChangeEvent> decoder, InputAnchor anchor) {
        EncryptorMetrics metrics = new EncryptorMetrics(registry);
        AtomicLong keyEpoch = new AtomicLong();
        Topology topology = new Topology();
        // strongroom.keys as a global store: every instance knows every tenant's key versions.
        topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(KEYS_STORE), Serdes.String(),
                        Topics.KEYS.valueSerde()).withLoggingDisabled(),
                KEYS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), Topics.KEYS.name(), KEYS_PROCESSOR,
                () -> new KeyVersionProcessor(keyEpoch));
        topology.addSource(SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), Topics.CHANGES.name());
        topology.addProcessor(SEAL, () -> new SegmentProcessor(config, environment, kms, tenantKeys, metrics, keyEpoch, decoder, anchor), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OPEN_STORE),
                Serdes.String(), Serdes.ByteArray()), SEAL);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RECORDS_STORE),
                Serdes.String(), Serdes.ByteArray()), SEAL);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CHAIN_STORE),
                Serdes.String(), Serdes.String()), SEAL);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ROOT_STORE),
                Serdes.String(), Serdes.ByteArray()), SEAL);
        topology.addSink(SINK, Topics.SEGMENTS.name(), new StringSerializer(), new ByteArraySerializer(), SEAL);
        return topology;
    }
}
