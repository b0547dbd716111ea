package io.strongroom.coordinator.internal;

import io.strongroom.avro.AuditEvent;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows {@code strongroom.audit} from its start: every emitter's newest chain head (for the signed audit checkpoints)
 * and each principal's last activity (for the access review). Each {@link #catchUp} reads on from where the last one
 * stopped; one consumer, so one caller at a time.
 */
public final class AuditFollower implements AutoCloseable {
    private final Map<String, Object> kafka;
    private final Duration deadline;
    private final AuditCheckpoints.Tracker heads = new AuditCheckpoints.Tracker();
    private final Map<String, Instant> lastActivity = new HashMap<>();
    private KafkaConsumer<String, AuditEvent> consumer;

    /**
     * @param kafka the coordinator's client properties
     * @param deadline how long one catch-up may take to reach the end the topic had when it began
     */
    public AuditFollower(Map<String, Object> kafka, Duration deadline) {
        this.kafka = Map.copyOf(kafka);
        this.deadline = deadline;
    }

    /**
     * Reads to the end the topic has now.
     *
     * @throws IllegalStateException naming the topic and the end if it cannot be read there within the deadline
     */
    public synchronized void catchUp() {
        if (consumer == null) {
            Map<String, Object> props = new HashMap<>(kafka);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(props, Topics.AUDIT.keySerde().deserializer(), Topics.AUDIT.valueSerde().deserializer());
            List<TopicPartition> parts = consumer.partitionsFor(Topics.AUDIT.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
        Instant giveUp = Instant.now().plus(deadline);
        while (consumer.assignment().stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            if (Instant.now().isAfter(giveUp)) {
                throw new IllegalStateException("could not read " + Topics.AUDIT.name() + " to its end " + end + " within "
                        + deadline);
            }
            for (ConsumerRecord<String, AuditEvent> r : consumer.poll(Duration.ofMillis(500))) {
                heads.add(new AuditVerifier.Positioned(r.topic() + "/" + r.partition() + "/" + r.offset(), r.value()));
                lastActivity.merge(r.value().getPrincipal(), Instant.ofEpochMilli(r.value().getTimestampMs()),
                        (a, b) -> a.isAfter(b) ? a : b);
            }
        }
    }

    /** Every emitter's newest event read so far. */
    public AuditCheckpoints.Tracker heads() {
        return heads;
    }

    /** Each principal's newest event read so far (authentic or not). */
    public synchronized Map<String, Instant> lastActivity() {
        return Map.copyOf(lastActivity);
    }

    @Override
    public synchronized void close() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
