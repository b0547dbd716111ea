package io.strongroom.schemas;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Reads a whole topic, from the beginning to the end offsets at the start of the read, without a group. */
public final class TopicReader {
    /** How long a read may go without a record before it fails (the broker is gone, or a partition is stuck). */
    static final Duration STALL = Duration.ofMinutes(2);

    private TopicReader() {}

    /**
     * Hands every record of {@code topic} to {@code sink}, partition by partition in offset order
     * within each partition. Only committed transactional data is read, unless {@code kafka} sets
     * {@code isolation.level} itself.
     *
     * @param kafka base client properties
     * @throws IllegalStateException if the position in a partition does not move for two minutes before its end is reached
     */
    public static <K, V> long readToEnd(Map<String, Object> kafka, Topic<K, V> topic, Consumer<ConsumerRecord<K, V>> sink) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long count = 0;
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(props, topic.keySerde().deserializer(),
                topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).sorted((a, b) -> a.partition() - b.partition())
                    .toList();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            for (TopicPartition tp : partitions) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long lastMove = System.nanoTime();
                long lastPosition = -1;
                while (consumer.position(tp) < end.get(tp)) {
                    if (consumer.position(tp) != lastPosition) { // aborted data and markers move it without a record
                        lastPosition = consumer.position(tp);
                        lastMove = System.nanoTime();
                    } else if (System.nanoTime() - lastMove > STALL.toNanos()) {
                        throw new IllegalStateException("reading " + tp + " stalled: its position did not move for " + STALL.toSeconds()
                                + " s at offset " + consumer.position(tp) + " of " + end.get(tp));
                    }
                    for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.offset() < end.get(tp)) {
                            sink.accept(r);
                            count++;
                        }
                    }
                }
            }
        }
        return count;
    }
}
