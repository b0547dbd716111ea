package io.strongroom.restore;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.RecordHeader;
import io.strongroom.restore.internal.EventJson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Restores into a Kafka topic, record by record as the source produced them: the original key, every
 * original header and the original timestamp, byte for byte; the value is the Debezium-style
 * envelope of the change ({@code before}, {@code after}, {@code op}, {@code source}, {@code ts_ms});
 * and the original position as headers {@code strongroom.source.topic|partition|offset}. One
 * transaction per restore: readers with {@code read_committed} see all of it or none of it.
 */
public final class KafkaSink implements RestoreSink {
    public static final String SOURCE_TOPIC = "strongroom.source.topic";
    public static final String SOURCE_PARTITION = "strongroom.source.partition";
    public static final String SOURCE_OFFSET = "strongroom.source.offset";
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String group;
    private final Map<String, Object> kafka;

    public KafkaSink(Map<String, Object> kafka, String topic) {
        this(kafka, topic, UUID.randomUUID().toString());
    }

    /**
     * A sink for restore {@code restoreId}: its transactions use the transactional id {@code strongroom-restore-ID}, so
     * that a resumed restore fences an old process still writing, and each checkpoint commits, in the same transaction
     * as the records, the count of segments done as the offset of consumer group {@code strongroom-restore-ID} on the
     * topic's partition 0 (a group nothing consumes with).
     */
    public KafkaSink(Map<String, Object> kafka, String topic, String restoreId) {
        this.group = "strongroom-restore-" + restoreId;
        this.kafka = Map.copyOf(kafka);
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 900_000);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        producer.initTransactions();
        producer.beginTransaction();
    }

    @Override
    public void accept(ChangeEvent e) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, e.getSource().getTimestampMs(),
                bytes(e.getOriginalKey()), e.getOp() == Op.TOMBSTONE ? null
                        : EventJson.envelope(e).getBytes(StandardCharsets.UTF_8));
        for (RecordHeader h : e.getHeaders()) {
            record.headers().add(h.getKey(), bytes(h.getValue()));
        }
        record.headers().add(SOURCE_TOPIC, e.getSource().getTopic().getBytes(StandardCharsets.UTF_8));
        record.headers().add(SOURCE_PARTITION, String.valueOf(e.getSource().getPartition()).getBytes(StandardCharsets.UTF_8));
        record.headers().add(SOURCE_OFFSET, String.valueOf(e.getSource().getOffset()).getBytes(StandardCharsets.UTF_8));
        producer.send(record);
    }

    @Override
    public void commit() {
        producer.commitTransaction();
    }

    @Override
    public void checkpoint(String restoreId, int segmentsDone) {
        producer.sendOffsetsToTransaction(Map.of(new TopicPartition(topic, 0),
                new OffsetAndMetadata(segmentsDone, "strongroom restore " + restoreId)),
                new ConsumerGroupMetadata(group));
        producer.commitTransaction();
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
    }

    @Override
    public void close() {
        producer.close();
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
