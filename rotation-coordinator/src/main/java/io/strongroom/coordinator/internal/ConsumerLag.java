package io.strongroom.coordinator.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** How far a consumer group is behind on its input. */
public final class ConsumerLag {
    private ConsumerLag() {}

    /**
     * Records {@code group} is behind, summed over the partitions it has committed on; null if it has committed
     * nothing yet.
     *
     * @throws IllegalStateException with the cause if the offsets cannot be read within {@code timeout}
     */
    public static Long of(Admin admin, String group, Duration timeout) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (committed.isEmpty()) {
                return null;
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long behind = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
                if (e.getValue() != null && ends.containsKey(e.getKey())) {
                    behind += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                }
            }
            return behind;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the offsets of group " + group, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("offsets of group " + group + " not readable: "
                    + (e.getCause() != null ? e.getCause().getMessage() : "no answer within " + timeout), e);
        }
    }
}
