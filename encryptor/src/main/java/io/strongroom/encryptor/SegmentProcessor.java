package io.strongroom.encryptor;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.OpenSegment;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers change events into one open segment per (tenant, input partition) and seals it when it
 * is full (records or bytes) or old (wall-clock punctuation).
 *
 * <p>At open, a fresh DEK is generated and wrapped under the tenant's KEK; only the wrapped DEK is
 * stored. Each arriving record is encrypted under the DEK (AAD = segment id + sequence) before it
 * touches a state store. At seal the buffered records are decrypted, batched, compressed and
 * encrypted as one AEAD body whose associated data is the header. The unwrapped DEK lives only in
 * memory; after a restart or rebalance it is unwrapped again from the stored wrapped DEK.
 */
final class SegmentProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentProcessor.class);
    private static final AvroSerde<OpenSegment> OPEN_SERDE = AvroSerde.of(OpenSegment.class);
    private static final StringSerializer KEYS = new StringSerializer();

    private final EncryptorConfig config;
    private final String environment;
    private final Kms kms;
    private final Map<String, Aead> deks = new HashMap<>();
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> open;
    private KeyValueStore<String, byte[]> records;
    private KeyValueStore<String, String> chain;

    SegmentProcessor(EncryptorConfig config, String environment, Kms kms) {
        this.config = config;
        this.environment = environment;
        this.kms = kms;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.open = context.getStateStore(EncryptorTopology.OPEN_STORE);
        this.records = context.getStateStore(EncryptorTopology.RECORDS_STORE);
        this.chain = context.getStateStore(EncryptorTopology.CHAIN_STORE);
        context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::sealExpired);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElseThrow();
        ChangeEvent event;
        try {
            event = Topics.CHANGES.valueSerde().deserializer().deserialize(md.topic(), record.value());
        } catch (SerializationException e) {
            LOG.atError().addKeyValue("topic", md.topic()).addKeyValue("partition", md.partition())
                    .addKeyValue("offset", md.offset()).log("skipping undecodable change event: {}", e.getMessage());
            return;
        }
        if (event == null) {
            return;
        }
        String segmentKey = event.getTenant() + "/" + md.partition();
        OpenSegment segment = decode(open.get(segmentKey));
        if (segment == null) {
            segment = openSegment(segmentKey, event.getTenant(), md);
        }
        long eventTime = event.getEventTimeMs() != null ? event.getEventTimeMs() : record.timestamp();
        int sequence = segment.getRecordCount();
        byte[] ciphertext;
        try {
            ciphertext = dek(segment).encrypt(record.value(), SegmentCrypto.recordContext(segment.getSegmentId(), sequence));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed for segment " + segment.getSegmentId(), e);
        }
        records.put(recordKey(segment.getSegmentId(), sequence), ciphertext);
        segment.setLastOffset(md.offset());
        segment.setRecordCount(sequence + 1);
        segment.setPlaintextBytes(segment.getPlaintextBytes() + record.value().length);
        segment.setMinEventTimeMs(Math.min(segment.getMinEventTimeMs(), eventTime));
        segment.setMaxEventTimeMs(Math.max(segment.getMaxEventTimeMs(), eventTime));
        if (segment.getRecordCount() >= config.segmentMaxRecords() || segment.getPlaintextBytes() >= config.segmentMaxBytes()) {
            seal(segmentKey, segment);
        } else {
            open.put(segmentKey, OPEN_SERDE.encode(segment));
        }
    }

    private OpenSegment openSegment(String segmentKey, String tenant, RecordMetadata md) {
        String segmentId = UUID.randomUUID().toString();
        String keyId = kms.keyIdFor(tenant);
        // Fails closed: without a wrapped data key nothing is buffered or written.
        DataKey dek = Kmses.await(kms.generateDek(keyId, new DekContext(environment, tenant, segmentId)),
                config.kmsTimeout());
        deks.put(segmentId, dek.aead());
        WrappedDek wrapped = dek.wrapped();
        return OpenSegment.newBuilder()
                .setSegmentId(segmentId).setTenant(tenant).setStream(md.topic())
                .setSourceTopic(md.topic()).setSourcePartition(md.partition())
                .setKeyId(wrapped.keyId()).setKeyVersion(wrapped.keyVersion())
                .setWrappedDek(ByteBuffer.wrap(wrapped.bytes())).setDekAlgorithm(wrapped.algorithm())
                .setFirstOffset(md.offset()).setLastOffset(md.offset()).setRecordCount(0).setPlaintextBytes(0)
                .setOpenedAtMs(context.currentSystemTimeMs())
                .setMinEventTimeMs(Long.MAX_VALUE).setMaxEventTimeMs(Long.MIN_VALUE)
                .setPredecessorSegmentId(chain.get(segmentKey))
                .build();
    }

    private Aead dek(OpenSegment segment) {
        Aead aead = deks.get(segment.getSegmentId());
        if (aead == null) { // after a restart or rebalance: unwrap the stored DEK
            WrappedDek wrapped = new WrappedDek(segment.getKeyId(), segment.getKeyVersion(), segment.getDekAlgorithm(),
                    bytes(segment.getWrappedDek()));
            aead = Kmses.await(kms.unwrapDek(wrapped, new DekContext(environment, segment.getTenant(),
                    segment.getSegmentId())), config.kmsTimeout());
            deks.put(segment.getSegmentId(), aead);
        }
        return aead;
    }

    private void sealExpired(long now) {
        List<KeyValue<String, OpenSegment>> expired = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                OpenSegment segment = decode(kv.value);
                if (now - segment.getOpenedAtMs() >= config.segmentMaxAge().toMillis()) {
                    expired.add(KeyValue.pair(kv.key, segment));
                }
            }
        }
        expired.forEach(kv -> seal(kv.key, kv.value));
    }

    private void seal(String segmentKey, OpenSegment segment) {
        String segmentId = segment.getSegmentId();
        Aead aead = dek(segment);
        List<String> keys = new ArrayList<>(segment.getRecordCount());
        List<byte[]> plaintext = new ArrayList<>(segment.getRecordCount());
        try (KeyValueIterator<String, byte[]> it = records.prefixScan(segmentId + "/", KEYS)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                plaintext.add(aead.decrypt(kv.value, SegmentCrypto.recordContext(segmentId, plaintext.size())));
                keys.add(kv.key);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("buffered record " + keys.size() + " of segment " + segmentId
                    + " does not authenticate: the state store was altered", e);
        }
        if (plaintext.size() != segment.getRecordCount()) {
            throw new IllegalStateException("segment " + segmentId + " has " + plaintext.size()
                    + " buffered records, expected " + segment.getRecordCount());
        }
        SegmentHeader.Builder header = SegmentHeader.newBuilder()
                .setSegmentId(segmentId).setFormatVersion(Segment.FORMAT_VERSION).setEnvironment(environment)
                .setTenant(segment.getTenant()).setStream(segment.getStream())
                .setSourceTopic(segment.getSourceTopic()).setSourcePartition(segment.getSourcePartition())
                .setFirstOffset(segment.getFirstOffset()).setLastOffset(segment.getLastOffset())
                .setRecordCount(segment.getRecordCount())
                .setMinEventTimeMs(segment.getMinEventTimeMs()).setMaxEventTimeMs(segment.getMaxEventTimeMs())
                .setSealedAtMs(context.currentSystemTimeMs())
                .setPredecessorSegmentId(segment.getPredecessorSegmentId())
                .setKeyId(segment.getKeyId()).setKeyVersion(segment.getKeyVersion())
                .setWrappedDek(segment.getWrappedDek()).setDekAlgorithm(segment.getDekAlgorithm());
        Segment sealed = SegmentCrypto.seal(header, plaintext, aead);
        context.forward(new Record<>(segmentKey, sealed.toBytes(), context.currentSystemTimeMs()));
        keys.forEach(records::delete);
        open.delete(segmentKey);
        chain.put(segmentKey, segmentId);
        deks.remove(segmentId);
        LOG.atDebug().addKeyValue("segment", segmentId).addKeyValue("tenant", segment.getTenant())
                .addKeyValue("partition", segment.getSourcePartition()).addKeyValue("records", segment.getRecordCount())
                .addKeyValue("keyVersion", segment.getKeyVersion()).log("sealed segment");
    }

    @Override
    public void close() {
        deks.clear();
    }

    static String recordKey(String segmentId, int sequence) {
        return String.format("%s/%010d", segmentId, sequence);
    }

    private static OpenSegment decode(byte[] bytes) {
        return bytes == null ? null : OPEN_SERDE.decode("encryptor state store", bytes);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
