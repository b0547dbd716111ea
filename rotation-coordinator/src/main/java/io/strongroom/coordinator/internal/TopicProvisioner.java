package io.strongroom.coordinator.internal;

import io.strongroom.schemas.Topic;
import io.strongroom.schemas.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Strongroom's own topics if they are missing: compacted for key versions and the archive
 * index, room for a whole segment per message on {@code strongroom.segments}, infinite retention for
 * the audit trail. Existing topics are left as they are.
 */
public final class TopicProvisioner {
    private TopicProvisioner() {}

    /**
     * Creates the missing topics.
     *
     * @param partitions partitions of the data topics (changes, segments, DLQ)
     * @param replication replication factor, or empty for the broker default
     * @param maxSegmentBytes largest segment message to allow on {@code strongroom.segments}
     * @return names of the topics created now
     */
    public static List<String> ensureTopics(Admin admin, int partitions, Optional<Short> replication, int maxSegmentBytes) {
        List<NewTopic> wanted = new ArrayList<>();
        for (Topic<?, ?> topic : Topics.ALL) {
            Map<String, String> configs = new HashMap<>();
            int n = partitions;
            if (Topics.COMPACTED.contains(topic)) {
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
                n = Math.max(1, Math.min(partitions, 6));
            }
            if (topic == Topics.SEGMENTS) {
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topics.segmentRecordBytes(maxSegmentBytes)));
            }
            if (topic == Topics.CHANGES || topic == Topics.INGEST_DLQ) {
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topics.MAX_EVENT_BYTES));
            }
            if (topic == Topics.AUDIT) {
                configs.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
                n = 1; // one ordered log; each emitter chains its own events
            }
            wanted.add(new NewTopic(topic.name(), Optional.of(n), replication).configs(configs));
        }
        List<String> created = new ArrayList<>();
        var results = admin.createTopics(wanted).values();
        for (var e : results.entrySet()) {
            try {
                e.getValue().get(60, TimeUnit.SECONDS);
                created.add(e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex.getCause());
                }
            } catch (InterruptedException | TimeoutException ex) {
                throw new IllegalStateException("timed out creating topic " + e.getKey(), ex);
            }
        }
        return created;
    }
}
