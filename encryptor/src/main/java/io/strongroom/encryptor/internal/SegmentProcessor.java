package io.strongroom.encryptor.internal;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.avro.OpenSegment;
import io.strongroom.avro.PayloadHeader;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeyRejectedException;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.encryptor.EncryptorConfig;
import io.strongroom.encryptor.TenantKeys;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 * is full (records or bytes), old (wall-clock punctuation), or its KEK version stops being primary.
 *
 * <p>At open, a fresh DEK is generated and wrapped under the tenant's KEK; only the wrapped DEK is
 * stored. Each arriving record is encrypted under the DEK (AAD = segment id + sequence) before it
 * touches a state store. At seal the buffered records are decrypted, batched, compressed and
 * encrypted as one AEAD body whose associated data is the header. The unwrapped DEK lives only in
 * memory; after a restart or rebalance it is unwrapped again from the stored wrapped DEK.
 *
 * <p><b>Key versions.</b> {@code strongroom.keys} feeds a global store. A version the topic says is
 * not PRIMARY is never used for a new segment, and a segment whose version stops being primary is
 * sealed at once (checked per record and by a punctuator whenever the topic changes).
 *
 * <p><b>Failing closed per tenant.</b> If a tenant's key cannot be obtained (unknown, disabled,
 * destroyed, unreachable), that tenant's records of this partition are <em>held</em>: encrypted
 * under a data key of the {@link SystemTenants#QUARANTINE quarantine} KEK and kept, in order, in the
 * same logged store. Other tenants keep flowing. The tenant is retried with backoff; once its key
 * works, the held records are re-encrypted into its own segments, in order, and only then does
 * the tenant's new data follow. Held records are never archived under the quarantine key. If even
 * the quarantine key fails (the KMS is down), the exception fails the task and the whole encryptor
 * waits, losing nothing ({@code EncryptorService.onError}).
 */
public final class SegmentProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentProcessor.class);
    private static final AvroSerde<OpenSegment> OPEN_SERDE = AvroSerde.of(OpenSegment.class);
    private static final StringSerializer KEYS = new StringSerializer();
    /** Suffix of the open-store entry of a held (tenant, partition) stream; '!' never occurs in a tenant name. */
    public static final String HELD_SUFFIX = "!held";
    /** Kinds of held records: a change event, or the payload of an undecodable record to quarantine. */
    static final byte HELD_EVENT = 0;
    static final byte HELD_UNDECODABLE = 1;
    private static final AvroSerde<DeadLetterPayload> PAYLOADS = AvroSerde.of(DeadLetterPayload.class);
    private static final long RETRY_MIN_MS = 1_000;
    private static final long RETRY_MAX_MS = 60_000;

    private final EncryptorConfig config;
    private final String environment;
    private final Kms kms;
    private final TenantKeys tenantKeys;
    private final EncryptorMetrics metrics;
    private final AtomicLong keyEpoch;
    private final Deserializer<ChangeEvent> decoder;
    private final Map<String, Aead> deks = new HashMap<>();
    private final Map<String, KeyState> keyStates = new HashMap<>();
    private final Map<String, long[]> retries = new HashMap<>(); // held stream -> {next attempt ms, backoff ms}
    private long seenEpoch = -1;
    private long checkedEpoch = -1;
    private long myOpen;
    private long myAwaiting;
    private long myHeldStreams;
    private long myHeldRecords;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> open;
    private KeyValueStore<String, byte[]> records;
    private KeyValueStore<String, String> chain;
    private KeyValueStore<String, KeyVersionEvent> keys;
    private KeyValueStore<String, byte[]> roots;
    private final InputAnchor anchor;
    private int taskPartition;
    private StateRoot root;
    private Aead rootDek;
    private WrappedDek rootWrapped;

    SegmentProcessor(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys, EncryptorMetrics metrics,
            AtomicLong keyEpoch, Deserializer<ChangeEvent> decoder, InputAnchor anchor) {
        this.config = config;
        this.anchor = anchor;
        this.decoder = decoder;
        this.environment = environment;
        this.kms = kms;
        this.tenantKeys = tenantKeys;
        this.metrics = metrics;
        this.keyEpoch = keyEpoch;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.open = context.getStateStore(EncryptorTopology.OPEN_STORE);
        this.records = context.getStateStore(EncryptorTopology.RECORDS_STORE);
        this.chain = context.getStateStore(EncryptorTopology.CHAIN_STORE);
        this.keys = context.getStateStore(EncryptorTopology.KEYS_STORE);
        this.roots = context.getStateStore(EncryptorTopology.ROOT_STORE);
        this.taskPartition = context.taskId().partition();
        loadRoot(); // before anything restored is used: refused if it is not the state the root records
        try (KeyValueIterator<String, byte[]> it = open.all()) { // restored after a restart or rebalance
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                OpenSegment s = decode(kv.value);
                if (StateBinding.isHeld(kv.key)) {
                    adjustHeld(1, countRecords(s.getSegmentId()));
                    retries.put(StateBinding.stream(kv.key), new long[] {0, RETRY_MIN_MS});
                } else {
                    adjustOpen(1, s.getRecordCount());
                }
            }
        }
        context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::sealExpired);
        context.schedule(Duration.ofMillis(500), PunctuationType.WALL_CLOCK_TIME, this::onTick);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElseThrow();
        rootKey(); // first: without it nothing is done (and nothing sealed) for this record
        handle(record, md);
        root.processed(md.offset());
        saveRoot();
    }

    private void handle(Record<String, byte[]> record, RecordMetadata md) {
        ChangeEvent event;
        try {
            event = decoder.deserialize(md.topic(), record.value());
        } catch (SerializationException e) {
            undecodable(record, md, e);
            return;
        }
        if (event == null) { // no value: ingest never writes one, so it is kept like any record it cannot read
            undecodable(record, md, new SerializationException("no value"));
            return;
        }
        String tenant = event.getTenant();
        String segmentKey = tenant + "/" + md.partition();
        long eventTime = event.getEventTimeMs() != null ? event.getEventTimeMs() : record.timestamp();
        if (retries.containsKey(segmentKey) && !release(segmentKey, tenant, md.topic(), md.partition())) {
            hold(segmentKey, md.topic(), md.partition(), md.offset(), eventTime, HELD_EVENT, record.value());
            return;
        }
        if (!append(segmentKey, tenant, md.topic(), md.partition(), md.offset(), eventTime, event.getClassification(),
                record.value())) {
            hold(segmentKey, md.topic(), md.partition(), md.offset(), eventTime, HELD_EVENT, record.value());
        }
    }

    // ---- records this encryptor cannot decode ----------------------------------------------------

    /**
     * A record this encryptor cannot decode (a newer ChangeEvent schema, or garbage) is never skipped. If its key
     * names a tenant (ingest keys records {@code tenant/table/...}), it is sealed as it came into a quarantine segment
     * under that tenant's key (held like any record of the tenant while its key is unavailable). Otherwise the task
     * stops here, this record's offset uncommitted: an encryptor that reads its schema resumes from it.
     */
    private void undecodable(Record<String, byte[]> record, RecordMetadata md, SerializationException e) {
        String where = md.topic() + "/" + md.partition() + " offset " + md.offset();
        String tenant = tenantOf(record.key());
        if (tenant == null || !hasKey(tenant)) {
            metrics.undecodable("stopped");
            throw new UndecodableRecordException(where + ": a change event this encryptor cannot decode (" + e.getMessage()
                    + "), and its key names " + (tenant == null ? "no tenant" : "tenant " + tenant + ", which has no key "
                    + "in the KMS (none is created for a tenant only a record key names),") + " to quarantine it under: "
                    + "the encryptor stops here, the record not committed; run an encryptor that reads its schema (a newer "
                    + "release) and it resumes from this record");
        }
        List<PayloadHeader> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            headers.add(new PayloadHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
        }
        byte[] payload = PAYLOADS.encode(DeadLetterPayload.newBuilder()
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value())).setHeaders(headers).build());
        LOG.atError().addKeyValue("topic", md.topic()).addKeyValue("partition", md.partition()).addKeyValue("offset", md.offset())
                .addKeyValue("tenant", tenant)
                .log("{}: a change event this encryptor cannot decode ({}): sealed as it came into a quarantine segment "
                        + "(stream {}) under tenant {}'s key; a restore that reads its schema restores it", where,
                        e.getMessage(), Segment.QUARANTINE_STREAM, tenant);
        metrics.undecodable("quarantined");
        String segmentKey = tenant + "/" + md.partition();
        if (retries.containsKey(segmentKey) && !release(segmentKey, tenant, md.topic(), md.partition())
                || !quarantine(segmentKey, tenant, md.topic(), md.partition(), md.offset(), record.timestamp(), payload)) {
            hold(segmentKey, md.topic(), md.partition(), md.offset(), record.timestamp(), HELD_UNDECODABLE, payload);
        }
    }

    /**
     * Whether the tenant has a KEK (asked without creating one, by {@link TenantKeys}). Only "unknown" counts as no: a
     * key disabled, or a KMS that cannot say, takes the usual path (the record is held until the key works).
     */
    private boolean hasKey(String tenant) {
        return tenantKeys.exists(tenant);
    }

    /** The tenant the key names ({@code tenant/...}), or null; reserved {@code strongroom-} names are no tenant. */
    static String tenantOf(String key) {
        int slash = key == null ? -1 : key.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        String tenant = key.substring(0, slash);
        return SystemTenants.isDataTenant(tenant) ? tenant : null;
    }

    /**
     * Seals one undecodable record ({@code payload}) as a quarantine segment of the tenant's chain: the tenant's open
     * segment of this partition is sealed first, so offsets stay in order and the chain unbroken.
     *
     * @return false if the tenant's key cannot be obtained (nothing was sealed)
     */
    private boolean quarantine(String segmentKey, String tenant, String topic, int partition, long offset, long timestamp,
            byte[] payload) {
        OpenSegment current = decode(open.get(segmentKey));
        if (current != null && !trySeal(segmentKey, current, "quarantine")) {
            return false;
        }
        OpenSegment segment;
        Aead aead;
        try {
            segment = newSegment(tenant, topic, partition, offset, chain.get(segmentKey));
            if (!usable(segment)) {
                deks.remove(segment.getSegmentId());
                throw new UnusableKeyVersionException("the KMS wrapped the data key under " + segment.getKeyId() + " version "
                        + segment.getKeyVersion() + ", which " + Topics.KEYS.name() + " says is " + state(segment));
            }
            aead = dek(segment);
        } catch (KmsException | UnusableKeyVersionException e) {
            tenantKeyFailed(tenant, partition, e);
            return false;
        }
        segment.setStream(Segment.QUARANTINE_STREAM);
        segment.setRecordCount(1);
        segment.setPlaintextBytes(payload.length);
        segment.setMinEventTimeMs(timestamp);
        segment.setMaxEventTimeMs(timestamp);
        segment.setClassification(Classification.RESTRICTED); // its content is unknown: the most sensitive class
        emit(segmentKey, segment, aead, List.of(payload), "quarantine");
        return true;
    }

    /**
     * Adds one record to the tenant's open segment, opening (and sealing) segments as needed.
     *
     * @return false if the tenant's key cannot be obtained (the record was not stored)
     */
    private boolean append(String segmentKey, String tenant, String topic, int partition, long offset, long eventTime,
            Classification classification, byte[] value) {
        OpenSegment segment = decode(open.get(segmentKey));
        if (segment != null && !usable(segment)) {
            if (!trySeal(segmentKey, segment, "key-version")) {
                return false;
            }
            segment = null;
        }
        Aead aead;
        try {
            if (segment == null) {
                segment = openSegment(segmentKey, tenant, topic, partition, offset);
                aead = dek(segment);
            } else {
                aead = verified(segmentKey, segment);
            }
        } catch (KmsException | UnusableKeyVersionException e) {
            tenantKeyFailed(tenant, partition, e);
            return false;
        }
        int sequence = segment.getRecordCount();
        byte[] ciphertext;
        try {
            ciphertext = aead.encrypt(value, StateBinding.recordContext(environment, segment.getTenant(),
                    segment.getSourceTopic(), segment.getSourcePartition(), segment.getSegmentId(), sequence));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed for segment " + segment.getSegmentId(), e);
        }
        records.put(recordKey(segment.getSegmentId(), sequence), ciphertext);
        segment.setLastOffset(offset);
        segment.setRecordCount(sequence + 1);
        segment.setPlaintextBytes(segment.getPlaintextBytes() + value.length);
        segment.setMinEventTimeMs(Math.min(segment.getMinEventTimeMs(), eventTime));
        segment.setMaxEventTimeMs(Math.max(segment.getMaxEventTimeMs(), eventTime));
        if (classification != null && (segment.getClassification() == null
                || classification.ordinal() > segment.getClassification().ordinal())) {
            segment.setClassification(classification); // the segment is as sensitive as its most sensitive record
        }
        adjustOpen(0, 1);
        if (segment.getRecordCount() >= config.segmentMaxRecords()) {
            seal(segmentKey, segment, aead, "max-records");
        } else if (segment.getPlaintextBytes() >= config.segmentMaxBytes()) {
            seal(segmentKey, segment, aead, "max-bytes");
        } else {
            putOpen(segmentKey, OPEN_SERDE.encode(StateBinding.bind(environment, segmentKey, segment, aead)));
        }
        return true;
    }

    private OpenSegment openSegment(String segmentKey, String tenant, String topic, int partition, long offset) {
        OpenSegment segment = newSegment(tenant, topic, partition, offset, chain.get(segmentKey));
        if (!usable(segment)) {
            deks.remove(segment.getSegmentId());
            throw new UnusableKeyVersionException("the KMS wrapped the data key under " + segment.getKeyId() + " version "
                    + segment.getKeyVersion() + ", which " + Topics.KEYS.name() + " says is " + state(segment));
        }
        adjustOpen(1, 0);
        return segment;
    }

    /** A fresh segment with a fresh DEK; fails closed (throws) without a wrapped data key. */
    private OpenSegment newSegment(String tenant, String topic, int partition, long offset, String predecessor) {
        String segmentId = UUID.randomUUID().toString();
        DataKey dek = Kmses.await(kms.generateDek(kms.keyIdFor(tenant), new DekContext(environment, tenant, segmentId)),
                config.kmsTimeout());
        deks.put(segmentId, dek.aead());
        WrappedDek wrapped = dek.wrapped();
        return OpenSegment.newBuilder()
                .setSegmentId(segmentId).setTenant(tenant).setStream(topic)
                .setSourceTopic(topic).setSourcePartition(partition)
                .setKeyId(wrapped.keyId()).setKeyVersion(wrapped.keyVersion())
                .setWrappedDek(ByteBuffer.wrap(wrapped.bytes())).setDekAlgorithm(wrapped.algorithm())
                .setFirstOffset(offset).setLastOffset(offset).setRecordCount(0).setPlaintextBytes(0)
                .setOpenedAtMs(context.currentSystemTimeMs())
                .setMinEventTimeMs(Long.MAX_VALUE).setMaxEventTimeMs(Long.MIN_VALUE)
                .setPredecessorSegmentId(predecessor)
                .build();
    }

    /** Whether the segment's KEK version may still take records: not known to be anything but PRIMARY. */
    private boolean usable(OpenSegment segment) {
        KeyState s = state(segment);
        return s == null || s == KeyState.PRIMARY;
    }

    private KeyState state(OpenSegment segment) {
        long epoch = keyEpoch.get();
        if (epoch != seenEpoch) {
            keyStates.clear();
            seenEpoch = epoch;
        }
        String id = segment.getKeyId() + "/" + segment.getKeyVersion();
        return keyStates.computeIfAbsent(id, k -> {
            KeyVersionEvent e = keys.get(k);
            return e == null ? null : e.getState();
        });
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

    // ---- holding records of a tenant whose key is unavailable -------------------------------

    private void tenantKeyFailed(String tenant, int partition, Exception e) {
        metrics.keyFailure();
        LOG.atError().addKeyValue("tenant", tenant).addKeyValue("partition", partition)
                .addKeyValue("error", e.getClass().getSimpleName())
                .log("tenant {}: key unavailable, failing closed for this tenant: its records are held encrypted under the "
                        + "quarantine key until its key works again; other tenants continue: {}", tenant, e.getMessage());
    }

    /**
     * Keeps a record of a held stream, in order, encrypted under the quarantine key's data key. Plaintext:
     * {@code u8 kind | i64 offset | i64 event time | bytes}, the bytes a change event ({@link #HELD_EVENT}) or the
     * {@link DeadLetterPayload} of an undecodable record to quarantine ({@link #HELD_UNDECODABLE}).
     */
    private void hold(String segmentKey, String topic, int partition, long offset, long eventTime, byte kind, byte[] value) {
        String heldKey = segmentKey + HELD_SUFFIX;
        OpenSegment held = decode(open.get(heldKey));
        Aead aead;
        // Throws (and fails the task, the whole encryptor then waiting) if even the quarantine key fails.
        if (held == null) {
            held = newSegment(SystemTenants.QUARANTINE, topic, partition, offset, null);
            aead = dek(held);
            retries.put(segmentKey, new long[] {context.currentSystemTimeMs() + RETRY_MIN_MS, RETRY_MIN_MS});
            adjustHeld(1, 0);
        } else {
            aead = verified(heldKey, held);
        }
        int sequence = held.getRecordCount();
        ByteBuffer plain = ByteBuffer.allocate(17 + value.length).put(kind).putLong(offset).putLong(eventTime).put(value);
        try {
            records.put(recordKey(held.getSegmentId(), sequence), aead.encrypt(plain.array(),
                    StateBinding.recordContext(environment, StateBinding.owner(heldKey), held.getSourceTopic(),
                            held.getSourcePartition(), held.getSegmentId(), sequence)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed for held records " + held.getSegmentId(), e);
        }
        held.setRecordCount(sequence + 1);
        held.setLastOffset(offset);
        putOpen(heldKey, OPEN_SERDE.encode(StateBinding.bind(environment, heldKey, held, aead)));
        adjustHeld(0, 1);
    }

    /**
     * Moves a held stream's records, in order, into the tenant's own segments once its key works.
     *
     * @return true if nothing is held any more
     */
    private boolean release(String segmentKey, String tenant, String topic, int partition) {
        long now = context.currentSystemTimeMs();
        long[] retry = retries.computeIfAbsent(segmentKey, k -> new long[] {0, RETRY_MIN_MS});
        if (now < retry[0]) {
            return false;
        }
        String heldKey = segmentKey + HELD_SUFFIX;
        OpenSegment held = decode(open.get(heldKey));
        Aead quarantine = verified(heldKey, held);
        checkComplete(heldKey, held); // before anything moves: a truncated stream is refused whole
        List<String> moved = new ArrayList<>();
        boolean complete = true;
        try (KeyValueIterator<String, byte[]> it = records.prefixScan(held.getSegmentId() + "/", KEYS)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                int sequence = held.getFirstSequence() + moved.size();
                ByteBuffer plain = ByteBuffer.wrap(quarantine.decrypt(kv.value, StateBinding.recordContext(environment, tenant,
                        held.getSourceTopic(), held.getSourcePartition(), held.getSegmentId(), sequence)));
                byte kind = plain.get();
                long offset = plain.getLong();
                long eventTime = plain.getLong();
                byte[] value = new byte[plain.remaining()];
                plain.get(value);
                if (kind == HELD_UNDECODABLE ? !quarantine(segmentKey, tenant, topic, partition, offset, eventTime, value)
                        : !append(segmentKey, tenant, topic, partition, offset, eventTime,
                                decoder.deserialize(topic, value).getClassification(), value)) {
                    complete = false;
                    break;
                }
                moved.add(kv.key);
            }
        } catch (GeneralSecurityException e) {
            throw refused("held record " + (held.getFirstSequence() + moved.size()) + " of " + heldKey + " (segment "
                    + held.getSegmentId() + ") does not authenticate for tenant " + tenant + " partition " + partition
                    + ": it was altered or moved from another stream; refused, nothing sealed");
        }
        moved.forEach(records::delete);
        adjustHeld(0, -moved.size());
        if (!complete) {
            if (!moved.isEmpty()) { // what is left starts later now
                held.setFirstSequence(held.getFirstSequence() + moved.size());
                putOpen(heldKey, OPEN_SERDE.encode(StateBinding.bind(environment, heldKey, held, quarantine)));
            }
            retry[1] = Math.min(retry[1] * 2, RETRY_MAX_MS);
            retry[0] = now + retry[1];
            return false;
        }
        putOpen(heldKey, null);
        deks.remove(held.getSegmentId());
        retries.remove(segmentKey);
        adjustHeld(-1, 0);
        LOG.atInfo().addKeyValue("tenant", tenant).addKeyValue("partition", partition).addKeyValue("records", moved.size())
                .log("tenant {}: key available again, {} held records moved into its segments", tenant, moved.size());
        return true;
    }

    // ---- sealing ---------------------------------------------------------------------------------

    private void onTick(long now) {
        tick(now);
        saveRoot();
    }

    private void tick(long now) {
        for (String segmentKey : List.copyOf(retries.keySet())) {
            if (now >= retries.get(segmentKey)[0]) {
                OpenSegment held = decode(open.get(segmentKey + HELD_SUFFIX));
                if (held == null) {
                    retries.remove(segmentKey);
                } else {
                    release(segmentKey, StateBinding.owner(segmentKey), held.getSourceTopic(),
                            held.getSourcePartition());
                }
            }
        }
        long epoch = keyEpoch.get();
        if (epoch != checkedEpoch) { // strongroom.keys changed: seal what uses a version no longer primary
            checkedEpoch = epoch;
            for (KeyValue<String, OpenSegment> kv : openSegments()) {
                if (!usable(kv.value)) {
                    trySeal(kv.key, kv.value, "key-version");
                }
            }
        }
    }

    private void sealExpired(long now) {
        for (KeyValue<String, OpenSegment> kv : openSegments()) {
            if (now - kv.value.getOpenedAtMs() >= config.segmentMaxAge().toMillis()) {
                trySeal(kv.key, kv.value, "max-age");
            }
        }
        saveRoot();
    }

    private List<KeyValue<String, OpenSegment>> openSegments() {
        List<KeyValue<String, OpenSegment>> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                if (!StateBinding.isHeld(kv.key)) {
                    out.add(KeyValue.pair(kv.key, decode(kv.value)));
                }
            }
        }
        return out;
    }

    /** Seals, unless the segment's data key cannot be unwrapped (after a restart); then it stays open, logged. */
    private boolean trySeal(String segmentKey, OpenSegment segment, String reason) {
        Aead aead;
        try {
            aead = verified(segmentKey, segment);
        } catch (KmsException e) {
            tenantKeyFailed(segment.getTenant(), segment.getSourcePartition(), e);
            return false;
        }
        seal(segmentKey, segment, aead, reason);
        return true;
    }

    private void seal(String segmentKey, OpenSegment segment, Aead aead, String reason) {
        String segmentId = segment.getSegmentId();
        List<String> recordKeys = checkComplete(segmentKey, segment);
        List<byte[]> plaintext = new ArrayList<>(segment.getRecordCount());
        try (KeyValueIterator<String, byte[]> it = records.prefixScan(segmentId + "/", KEYS)) {
            while (it.hasNext()) {
                plaintext.add(aead.decrypt(it.next().value, StateBinding.recordContext(environment, segment.getTenant(),
                        segment.getSourceTopic(), segment.getSourcePartition(), segmentId, plaintext.size())));
            }
        } catch (GeneralSecurityException e) {
            throw refused("buffered record " + plaintext.size() + " of " + segmentKey + " (segment " + segmentId
                    + ") does not authenticate for tenant " + segment.getTenant() + " partition " + segment.getSourcePartition()
                    + ": it was altered or moved from another segment; refused, nothing sealed");
        }
        emit(segmentKey, segment, aead, plaintext, reason);
        recordKeys.forEach(records::delete);
        putOpen(segmentKey, null);
        adjustOpen(-1, -segment.getRecordCount());
    }

    /** Seals {@code plaintext} as {@code segment} and sends it on; it becomes the chain's newest link. */
    private void emit(String segmentKey, OpenSegment segment, Aead aead, List<byte[]> plaintext, String reason) {
        String segmentId = segment.getSegmentId();
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
                .setWrappedDek(segment.getWrappedDek()).setDekAlgorithm(segment.getDekAlgorithm())
                .setClassification(segment.getClassification());
        Segment sealed = SegmentCrypto.seal(header, plaintext, aead);
        byte[] bytes = sealed.toBytes();
        // the digest travels with the segment: the archiver records it without hashing the bytes again
        Headers headers = new RecordHeaders().add(Topics.SEGMENT_SHA256_HEADER, Segment.sha256(bytes));
        context.forward(new Record<>(segmentKey, bytes, context.currentSystemTimeMs(), headers));
        chain.put(segmentKey, segmentId);
        root.put(StateRoot.CHAIN, segmentKey, segmentId.getBytes(StandardCharsets.UTF_8));
        deks.remove(segmentId);
        metrics.sealed(segment.getKeyVersion(), reason, segment.getRecordCount(), bytes.length);
        LOG.atDebug().addKeyValue("segment", segmentId).addKeyValue("tenant", segment.getTenant())
                .addKeyValue("partition", segment.getSourcePartition()).addKeyValue("records", segment.getRecordCount())
                .addKeyValue("keyVersion", segment.getKeyVersion()).addKeyValue("reason", reason).log("sealed segment");
    }

    // ---- checking the buffered state (state format 2, see StateBinding) ---------------------------

    /** The data key of a stored open segment, once its record proves to be what this encryptor stored under the key. */
    private Aead verified(String storeKey, OpenSegment segment) {
        try {
            // before the KMS is asked anything with the record's (so far unauthenticated) tenant, segment and key
            StateBinding.checkPlace(storeKey, segment, kms.keyIdFor(segment.getTenant()));
            Aead aead;
            try {
                aead = dek(segment);
            } catch (DataKeyRejectedException e) {
                // not an outage: the KMS says this wrapped key does not belong to this tenant and segment
                throw new StateBinding.TamperedStateException(StateBinding.where(storeKey, segment) + ": its data key does "
                        + "not unwrap for tenant " + segment.getTenant() + " (" + e.getMessage() + "): moved or edited; "
                        + "refused, nothing sealed");
            }
            StateBinding.checkTag(environment, storeKey, segment, aead);
            return aead;
        } catch (StateBinding.TamperedStateException e) {
            throw refused(e.getMessage());
        }
    }

    /**
     * The keys of a segment's buffered records, checked to be exactly sequences {@code firstSequence .. recordCount-1}
     * (an authenticated count and range: a removed record is a gap, a short count leaves one over).
     */
    private List<String> checkComplete(String storeKey, OpenSegment segment) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = records.prefixScan(segment.getSegmentId() + "/", KEYS)) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        int expected = segment.getRecordCount() - segment.getFirstSequence();
        for (int i = 0; i < Math.max(keys.size(), expected); i++) {
            String want = recordKey(segment.getSegmentId(), segment.getFirstSequence() + i);
            if (i >= keys.size() || i >= expected || !keys.get(i).equals(want)) {
                throw refused(storeKey + " (segment " + segment.getSegmentId() + ") should buffer records "
                        + segment.getFirstSequence() + ".." + (segment.getRecordCount() - 1) + " but holds " + keys.size()
                        + (i < keys.size() ? ", " + keys.get(i) + " where " + want + " belongs" : ", " + want + " missing")
                        + ": records were removed or added; refused, nothing sealed");
            }
        }
        return keys;
    }

    /** Counts and logs a refusal of the buffered state; the returned exception stops the task. */
    private StateBinding.TamperedStateException refused(String message) {
        metrics.stateRefused();
        LOG.atError().log("buffered state refused: {}", message);
        return new StateBinding.TamperedStateException(message);
    }

    // ---- freshness: the state root (state format 3, see StateRoot) ------------------------------

    private void putOpen(String storeKey, byte[] value) {
        if (value == null) {
            open.delete(storeKey);
        } else {
            open.put(storeKey, value);
        }
        root.put(StateRoot.OPEN, storeKey, value);
    }

    /**
     * Opens this partition's state root and checks the restored open-segment and chain stores against it, and it
     * against the group's committed offset: refused if an entry was put back, removed or added, or if the root (with
     * the entries that go with it) is older than what the group committed.
     */
    private void loadRoot() {
        String where = "the encryptor state of " + Topics.CHANGES.name() + "/" + taskPartition;
        byte[] stored = roots.get(StateRoot.KEY);
        if (stored == null) {
            try (KeyValueIterator<String, byte[]> it = open.all()) {
                if (it.hasNext()) {
                    throw refused(where + " has buffered segments (" + it.next().key + ", ...) but no state root: the "
                            + "root was deleted, or the state was written before state format 3 (drain the old encryptor "
                            + "before upgrading, README); refused, nothing sealed");
                }
            }
            Long committed = anchor == null ? null : anchor.committed(taskPartition);
            root = StateRoot.fresh(committed == null ? -1 : committed - 1);
            try (KeyValueIterator<String, String> it = chain.all()) {
                while (it.hasNext()) {
                    KeyValue<String, String> kv = it.next();
                    root.put(StateRoot.CHAIN, kv.key, kv.value.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (committed != null) {
                LOG.atWarn().addKeyValue("partition", taskPartition)
                        .log("{}: no state root, nothing buffered: starting one at committed offset {} (first start of state "
                                + "format 3, or the root and every buffered segment were deleted)", where, committed);
            }
            return;
        }
        StateRoot.Opened opened;
        try {
            ByteBuffer in = ByteBuffer.wrap(stored);
            WrappedDek wrapped = new WrappedDek(str(in), str(in), str(in), field(in));
            if (!kms.keyIdFor(SystemTenants.QUARANTINE).equals(wrapped.keyId())) {
                throw new GeneralSecurityException("its data key is under " + wrapped.keyId());
            }
            rootDek = Kmses.await(kms.unwrapDek(wrapped, rootContext()), config.kmsTimeout());
            rootWrapped = wrapped;
            opened = StateRoot.open(environment, taskPartition, field(in), rootDek);
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof KmsException && !(e instanceof DataKeyRejectedException)) {
                throw (KmsException) e; // an outage: retried
            }
            throw refused(where + ": its state root does not open (" + e.getMessage() + "): edited or replaced; refused, "
                    + "nothing sealed");
        }
        root = opened.root();
        try (KeyValueIterator<String, byte[]> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                root.put(StateRoot.OPEN, kv.key, kv.value);
            }
        }
        try (KeyValueIterator<String, String> it = chain.all()) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                root.put(StateRoot.CHAIN, kv.key, kv.value.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!opened.matches()) {
            throw refused(where + " is not the state its root records: an open segment, held stream or chain entry was "
                    + "put back to an earlier version, removed or added; refused, nothing sealed");
        }
        if (anchor != null) {
            long last = root.lastOffset();
            Long committed = anchor.committed(taskPartition);
            if (committed == null ? last >= 0 : last >= committed) {
                throw refused(where + ": its root has processed offset " + last + " but the group has committed "
                        + (committed == null ? "nothing" : "only up to " + committed) + "; refused, nothing sealed");
            }
            long skipped = committed == null || last + 1 >= committed ? -1 : anchor.firstRecord(taskPartition, last + 1, committed);
            if (skipped >= 0) {
                throw refused(where + " is older than what the group committed: the record at offset " + skipped
                        + " was processed and committed, but the state (root and entries) is from before it: rolled back; "
                        + "refused, nothing sealed");
            }
        }
        root.clean();
    }

    /** Writes the state root if anything changed; its data key is made on the first write. */
    private void saveRoot() {
        if (!root.dirty()) {
            return;
        }
        rootKey();
        byte[] sealed;
        try {
            sealed = root.seal(environment, taskPartition, rootDek);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed for the state root of partition " + taskPartition, e);
        }
        byte[][] parts = {rootWrapped.keyId().getBytes(StandardCharsets.UTF_8),
                rootWrapped.keyVersion().getBytes(StandardCharsets.UTF_8),
                rootWrapped.algorithm().getBytes(StandardCharsets.UTF_8), rootWrapped.bytes(), sealed};
        int size = 0;
        for (byte[] b : parts) {
            size += 4 + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] b : parts) {
            out.putInt(b.length).put(b);
        }
        roots.put(StateRoot.KEY, out.array());
    }

    /** The state root's data key (under the quarantine KEK), made on first use. */
    private void rootKey() {
        if (rootDek == null) {
            DataKey dek = Kmses.await(kms.generateDek(kms.keyIdFor(SystemTenants.QUARANTINE), rootContext()), config.kmsTimeout());
            rootDek = dek.aead();
            rootWrapped = dek.wrapped();
        }
    }

    private DekContext rootContext() {
        return new DekContext(environment, SystemTenants.QUARANTINE, "state-root/" + taskPartition);
    }

    private static byte[] field(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("malformed state root");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String str(ByteBuffer in) {
        return new String(field(in), StandardCharsets.UTF_8);
    }

    // ---- bookkeeping -----------------------------------------------------------------------------

    private void adjustOpen(long segments, long recordsDelta) {
        myOpen += segments;
        myAwaiting += recordsDelta;
        metrics.openSegments.addAndGet(segments);
        metrics.awaitingRecords.addAndGet(recordsDelta);
    }

    private void adjustHeld(long streams, long recordsDelta) {
        myHeldStreams += streams;
        myHeldRecords += recordsDelta;
        metrics.parkedStreams.addAndGet(streams);
        metrics.parkedRecords.addAndGet(recordsDelta);
    }

    private int countRecords(String segmentId) {
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = records.prefixScan(segmentId + "/", KEYS)) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        deks.clear();
        adjustOpen(-myOpen, -myAwaiting);
        adjustHeld(-myHeldStreams, -myHeldRecords);
    }

    /** The key in store {@code segment-records} of the {@code sequence}th record buffered in segment {@code segmentId}. */
    public static String recordKey(String segmentId, int sequence) {
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

    /** A record that cannot be decoded nor quarantined: the task stops, its offset uncommitted. */
    public static final class UndecodableRecordException extends RuntimeException {
        UndecodableRecordException(String message) {
            super(message);
        }
    }

    /** The KMS issued a data key under a version {@code strongroom.keys} says must not be used (a stale KMS cache). */
    static final class UnusableKeyVersionException extends RuntimeException {
        UnusableKeyVersionException(String message) {
            super(message, null, false, false);
        }
    }
}
