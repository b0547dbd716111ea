package io.strongroom.encryptor.internal;

import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of key versions from {@code strongroom.keys} ({@code keyId/version} →
 * event) and bumps a shared epoch on every change, so the segment processors know to look again.
 * An undecodable event is logged and skipped: it can never make a version usable.
 */
final class KeyVersionProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(KeyVersionProcessor.class);
    private static final AvroSerde<KeyVersionEvent> SERDE =
            AvroSerde.of(KeyVersionEvent.class);
    private final AtomicLong epoch;
    private KeyValueStore<String, KeyVersionEvent> store;

    KeyVersionProcessor(AtomicLong epoch) {
        this.epoch = epoch;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(EncryptorTopology.KEYS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            try {
                store.put(record.key(), SERDE.decode(Topics.KEYS.name() + " key " + record.key(), record.value()));
            } catch (RuntimeException e) {
                LOG.atError().addKeyValue("key", record.key()).log("skipping undecodable key-version event: {}", e.getMessage());
                return;
            }
        }
        epoch.incrementAndGet();
    }
}
