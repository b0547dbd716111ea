package io.strongroom.cli;

import io.strongroom.testkit.CdcProducer.Produced;
import io.strongroom.testkit.CdcRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the CDC topics hold, read back to their end ({@code read_committed}): the fault run's ground truth. Each
 * record is identified by its source position (topic, partition, offset), as a restore identifies it; a record a
 * replaced producer sent again sits at two positions.
 */
final class TopicContents {
    private TopicContents() {}

    /**
     * Every record of {@code topics}, in offset order per partition.
     *
     * @param stall how long the read may go without a record before it fails, naming the partitions not yet read
     */
    static List<Produced> read(Map<String, Object> kafka, List<String> topics, Duration stall) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<Produced> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            var known = consumer.listTopics(Duration.ofMinutes(2)); // one request, not one per topic
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                if (!known.containsKey(topic)) {
                    throw new IllegalStateException("CDC topic " + topic + " does not exist");
                }
                known.get(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long lastMove = System.nanoTime();
            long lastPositions = -1;
            while (true) {
                List<TopicPartition> left = partitions.stream().filter(tp -> consumer.position(tp) < end.get(tp)).toList();
                if (left.isEmpty()) {
                    return out;
                }
                long positions = partitions.stream().mapToLong(consumer::position).sum();
                if (positions != lastPositions) { // markers and aborted data move positions without records
                    lastPositions = positions;
                    lastMove = System.nanoTime();
                } else if (System.nanoTime() - lastMove > stall.toNanos()) {
                    throw new IllegalStateException("reading the CDC topics back stalled for " + Waits.describe(stall) + " with "
                            + left.size() + " partitions not read to their end, e.g. " + left.get(0) + " at "
                            + consumer.position(left.get(0)) + " of " + end.get(left.get(0)));
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        out.add(new Produced(record(r), r.partition(), r.offset()));
                    }
                }
            }
        }
    }

    private static CdcRecord record(ConsumerRecord<byte[], byte[]> r) {
        String[] parts = r.topic().split("\\.", 4); // <prefix>.<tenant>.<schema>.<table>
        List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
        for (Header h : r.headers()) {
            headers.add(new AbstractMap.SimpleImmutableEntry<>(h.key(), h.value()));
        }
        return new CdcRecord(r.topic(), parts.length > 1 ? parts[1] : null, parts.length > 3 ? parts[3] : null, null,
                r.key(), r.value(), headers, r.timestamp());
    }

    /** A 64-bit digest of what a record says (topic, key, value, headers, timestamp), for telling copies apart. */
    static long fingerprint(CdcRecord r) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            field(sha, r.topic().getBytes(StandardCharsets.UTF_8));
            field(sha, r.key());
            field(sha, r.value());
            for (Map.Entry<String, byte[]> h : r.headers()) {
                field(sha, h.getKey().getBytes(StandardCharsets.UTF_8));
                field(sha, h.getValue());
            }
            sha.update(ByteBuffer.allocate(8).putLong(r.timestampMs()).array());
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void field(MessageDigest sha, byte[] bytes) {
        sha.update(ByteBuffer.allocate(4).putInt(bytes == null ? -1 : bytes.length).array()); // length-prefixed: unambiguous
        if (bytes != null) {
            sha.update(bytes);
        }
    }

    /** How many of {@code generated} (fingerprints) appear nowhere in {@code held} (fingerprints, sorted). */
    static long missing(long[] generated, long[] sortedHeld) {
        return Arrays.stream(generated).filter(f -> Arrays.binarySearch(sortedHeld, f) < 0).count();
    }
}
