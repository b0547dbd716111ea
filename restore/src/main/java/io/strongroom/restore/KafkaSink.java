package io.strongroom.restore;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.RecordHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.restore.internal.EventJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Restores into a Kafka topic, record by record as the source produced them. By default each record
 * is the original byte for byte: key, value, headers and timestamp as they were on the source topic
 * (archives written before ChangeEvent v3 hold no original value: their records get the envelope
 * below), in the source's partition number when the target has that partition (else the key picks
 * it). With {@link Options#asEnvelope} the value is instead the Debezium-style envelope of the
 * change ({@code before}, {@code after}, {@code op}, {@code source}, {@code ts_ms}, re-serialized
 * from the archived fields) — the form of earlier releases. With {@link Options#provenanceHeaders}
 * (implied by {@code asEnvelope}) each record also carries its source position as headers
 * {@code strongroom.source.topic|partition|offset}. Either way the sink reports where each source
 * partition's records landed ({@link #placements}), and can write the full offset map.
 *
 * <p>One transaction per restore: readers with {@code read_committed} see all of it or none of it.
 */
public final class KafkaSink implements RestoreSink {
    public static final String SOURCE_TOPIC = "strongroom.source.topic";
    public static final String SOURCE_PARTITION = "strongroom.source.partition";
    public static final String SOURCE_OFFSET = "strongroom.source.offset";
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String group;
    private final Map<String, Object> kafka;
    private final Options options;
    private final int targetPartitions;
    private final Map<String, Placement> placements = new TreeMap<>();
    private final BufferedWriter offsetMap;
    private volatile Exception failed;

    /**
     * How records are written.
     *
     * @param asEnvelope write the re-serialized envelope instead of the original value (records of raw topics keep theirs)
     * @param provenanceHeaders add the {@code strongroom.source.*} headers to each record
     * @param offsetMap a CSV file to write {@code source_topic,source_partition,source_offset,partition,offset} to, one
     *     line per record written (by this run, for a resumed restore), or null; deleted if the restore fails
     */
    public record Options(boolean asEnvelope, boolean provenanceHeaders, Path offsetMap) {
        /** Records byte for byte, no extra headers, no offset map. */
        public static Options faithful() {
            return new Options(false, false, null);
        }
    }

    /**
     * Where one source partition's records went.
     *
     * @param source source topic and partition, {@code topic/partition}
     * @param records records written
     * @param firstSourceOffset first source offset written
     * @param lastSourceOffset last source offset written
     * @param partition target partition (of the first record)
     * @param firstOffset target offset of the first record
     * @param lastOffset target offset of the last record
     */
    public record Placement(String source, long records, long firstSourceOffset, long lastSourceOffset, int partition,
            long firstOffset, long lastOffset) {
        @Override
        public String toString() {
            return source + " offsets " + firstSourceOffset + ".." + lastSourceOffset + " (" + records + " records) -> partition "
                    + partition + " offsets " + firstOffset + ".." + lastOffset;
        }
    }

    /** A faithful sink (see {@link Options#faithful}) under a random restore id. */
    public KafkaSink(Map<String, Object> kafka, String topic) {
        this(kafka, topic, UUID.randomUUID().toString(), Options.faithful());
    }

    /**
     * A sink for restore {@code restoreId}: its transactions use the transactional id {@code strongroom-restore-ID}, so
     * that a resumed restore fences an old process still writing, and each checkpoint commits, in the same transaction
     * as the records, the count of segments done as the offset of consumer group {@code strongroom-restore-ID} on the
     * topic's partition 0 (a group nothing consumes with).
     */
    public KafkaSink(Map<String, Object> kafka, String topic, String restoreId, Options options) {
        this.group = "strongroom-restore-" + restoreId;
        this.kafka = Map.copyOf(kafka);
        this.options = options;
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 900_000);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        try {
            this.targetPartitions = producer.partitionsFor(topic).size();
            this.offsetMap = options.offsetMap() == null ? null : Files.newBufferedWriter(options.offsetMap());
            if (offsetMap != null) {
                offsetMap.write("source_topic,source_partition,source_offset,partition,offset\n");
            }
            producer.initTransactions();
        } catch (IOException | RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e instanceof IOException io ? new UncheckedIOException("cannot write the offset map " + options.offsetMap(), io)
                    : (RuntimeException) e;
        }
        producer.beginTransaction();
    }

    @Override
    public void accept(ChangeEvent e) throws Exception {
        if (failed != null) {
            throw new IllegalStateException("a record of the restore could not be written to " + topic + ": "
                    + failed.getMessage(), failed);
        }
        byte[] value;
        if (e.getOp() == Op.TOMBSTONE) {
            value = null;
        } else if (e.getOp() == Op.RECORD || (!options.asEnvelope() && e.getOriginalValue() != null)) {
            value = bytes(e.getOriginalValue());
        } else {
            value = EventJson.envelope(e).getBytes(StandardCharsets.UTF_8);
        }
        SourcePosition from = e.getSource();
        Integer partition = from.getPartition() < targetPartitions ? from.getPartition() : null;
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, from.getTimestampMs(),
                bytes(e.getOriginalKey()), value);
        for (RecordHeader h : e.getHeaders()) {
            record.headers().add(h.getKey(), bytes(h.getValue()));
        }
        if (options.asEnvelope() || options.provenanceHeaders()) {
            record.headers().add(SOURCE_TOPIC, from.getTopic().getBytes(StandardCharsets.UTF_8));
            record.headers().add(SOURCE_PARTITION, String.valueOf(from.getPartition()).getBytes(StandardCharsets.UTF_8));
            record.headers().add(SOURCE_OFFSET, String.valueOf(from.getOffset()).getBytes(StandardCharsets.UTF_8));
        }
        String source = from.getTopic() + "/" + from.getPartition();
        long sourceOffset = from.getOffset();
        producer.send(record, (md, error) -> placed(source, sourceOffset, md, error));
    }

    private synchronized void placed(String source, long sourceOffset, RecordMetadata md, Exception error) {
        if (error != null) {
            failed = error;
            return;
        }
        Placement p = placements.get(source);
        placements.put(source, p == null ? new Placement(source, 1, sourceOffset, sourceOffset, md.partition(), md.offset(),
                md.offset()) : new Placement(source, p.records() + 1, p.firstSourceOffset(), sourceOffset, p.partition(),
                p.firstOffset(), md.offset()));
        if (offsetMap != null) {
            try {
                int slash = source.lastIndexOf('/');
                offsetMap.write(source.substring(0, slash) + "," + source.substring(slash + 1) + "," + sourceOffset + ","
                        + md.partition() + "," + md.offset() + "\n");
            } catch (IOException ex) {
                failed = ex;
            }
        }
    }

    /** Where each source partition's records went, so far (complete after {@link #commit}), by source. */
    public synchronized List<Placement> placements() {
        return List.copyOf(placements.values());
    }

    @Override
    public void commit() throws IOException {
        producer.commitTransaction();
        if (failed != null) {
            throw new IllegalStateException("a record of the restore could not be written to " + topic + ": " + failed.getMessage(),
                    failed);
        }
        if (offsetMap != null) {
            offsetMap.flush();
        }
    }

    @Override
    public void checkpoint(String restoreId, int segmentsDone) throws IOException {
        producer.sendOffsetsToTransaction(Map.of(new TopicPartition(topic, 0),
                new OffsetAndMetadata(segmentsDone, "strongroom restore " + restoreId)),
                new ConsumerGroupMetadata(group));
        producer.commitTransaction();
        if (offsetMap != null) {
            offsetMap.flush();
        }
        producer.beginTransaction();
    }

    @Override
    public int resume(String restoreId, int checkpointed) throws Exception {
        try (Admin admin = Admin.create(kafka)) {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(60, TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
            return committed == null ? checkpointed : (int) Math.max(checkpointed, committed.offset());
        }
    }

    @Override
    public void abort() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // the transaction times out on the broker anyway; nothing of it is visible to read_committed readers
        }
        if (offsetMap != null && options.offsetMap() != null) { // it would list records no reader sees
            try {
                offsetMap.close();
                Files.deleteIfExists(options.offsetMap());
            } catch (IOException ignored) {
                // best effort: the restore failed and says so
            }
        }
    }

    @Override
    public void close() {
        producer.close();
        if (offsetMap != null) {
            try {
                offsetMap.close();
            } catch (IOException ignored) {
                // flushed at commit; a failed restore's map is incomplete anyway
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
