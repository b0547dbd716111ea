package io.strongroom.encryptor.internal;

import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the encryptor's state must agree with and a principal who writes its changelog topics cannot forge: how far
 * the consumer group has committed {@code strongroom.changes}, and which records the topic holds.
 */
public interface InputAnchor {
    /** The group's committed offset of {@code strongroom.changes}/{@code partition}, or null if it has none. */
    Long committed(int partition);

    /** The offset of the first committed record of {@code strongroom.changes}/{@code partition} in [from, to), or -1. */
    long firstRecord(int partition, long from, long to);

    /**
     * Kafka could not answer in time (a broker restarting, a group coordinator loading): the state is neither
     * accepted nor refused, and the task is retried from the last commit, as after a KMS outage.
     */
    final class UnavailableException extends RuntimeException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** No anchor (tests with the topology test driver): the state root is checked for consistency only. */
    InputAnchor NONE = null;

    /** The anchor of application (consumer group) {@code groupId} on the cluster {@code kafka} names. */
    static InputAnchor of(Map<String, Object> kafka, String groupId, Duration timeout) {
        return new InputAnchor() {
            @Override
            public Long committed(int partition) {
                TopicPartition tp = new TopicPartition(Topics.CHANGES.name(), partition);
                try (Admin admin = Admin.create(kafka)) {
                    OffsetAndMetadata o = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(tp);
                    return o == null ? null : o.offset();
                } catch (ExecutionException | TimeoutException e) {
                    throw new UnavailableException("cannot read the committed offset of " + tp + " for group " + groupId
                            + " to check the encryptor's state against: " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted reading the committed offset of " + tp, e);
                }
            }

            @Override
            public long firstRecord(int partition, long from, long to) {
                TopicPartition tp = new TopicPartition(Topics.CHANGES.name(), partition);
                Map<String, Object> props = new HashMap<>(kafka);
                props.remove(ConsumerConfig.GROUP_ID_CONFIG);
                props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
                props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // below the log start: retention took it
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
                    consumer.assign(List.of(tp));
                    consumer.seek(tp, from);
                    long deadline = System.nanoTime() + timeout.toNanos();
                    while (System.nanoTime() < deadline) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
                            return r.offset() < to ? r.offset() : -1;
                        }
                        if (consumer.position(tp) >= to) {
                            return -1; // only transaction markers (or aborted records) in between
                        }
                    }
                    throw new UnavailableException("cannot read " + tp + " from offset " + from + " to " + to
                            + " within " + timeout + " to check the encryptor's state against", null);
                }
            }
        };
    }
}
