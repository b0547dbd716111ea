package io.strongroom.crypto.kms;

import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code strongroom.keys} (the coordinator's key-version events) and evicts a version from a
 * {@link CachingKms} as soon as it is disabled, scheduled for destruction or destroyed, by whichever
 * process: a cached data key stops working everywhere within a poll, not after
 * {@code kms.unwrap-cache-ttl}. Reads from the end of the topic (what is cached was unwrapped by the
 * KMS itself, which refuses versions already disabled), with its own consumer and no group.
 */
public final class KeyEventEviction implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyEventEviction.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final CachingKms cache;
    private final KafkaConsumer<String, KeyVersionEvent> consumer;
    private final Thread thread;
    private volatile boolean closed;

    private KeyEventEviction(CachingKms cache, KafkaConsumer<String, KeyVersionEvent> consumer) {
        this.cache = cache;
        this.consumer = consumer;
        this.thread = new Thread(this::run, "strongroom-key-events");
        thread.setDaemon(true);
    }

    /**
     * Starts following {@code strongroom.keys} for {@code cache}; waits up to {@code ready} for the
     * topic's end (so that a change published after this returns is seen), then goes on trying in the
     * background if Kafka or the topic is not there yet.
     */
    public static KeyEventEviction start(CachingKms cache, Map<String, Object> kafka, Duration ready) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        KafkaConsumer<String, KeyVersionEvent> consumer = new KafkaConsumer<>(props, Topics.KEYS.keySerde().deserializer(),
                Topics.KEYS.valueSerde().deserializer());
        KeyEventEviction eviction = new KeyEventEviction(cache, consumer);
        try {
            eviction.assign(ready);
        } catch (RuntimeException e) {
            LOG.atWarn().log("{} not readable yet, following it once it is: {}", Topics.KEYS.name(), e.getMessage());
        }
        eviction.thread.start();
        return eviction;
    }

    /** Assigns every partition at its end; false if the topic does not exist yet. */
    private boolean assign(Duration timeout) {
        List<PartitionInfo> partitions = consumer.partitionsFor(Topics.KEYS.name(), timeout);
        if (partitions == null || partitions.isEmpty()) {
            return false;
        }
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(tp -> consumer.position(tp, timeout)); // fixes the position now, not at the first poll
        return true;
    }

    private void run() {
        try {
            while (!closed) {
                if (consumer.assignment().isEmpty()) {
                    try {
                        if (!assign(Duration.ofSeconds(5))) {
                            Thread.sleep(1000); // no topic yet (the coordinator creates it): look again shortly
                        }
                    } catch (TimeoutException e) {
                        LOG.atDebug().log("{} not readable yet: {}", Topics.KEYS.name(), e.getMessage());
                    }
                    continue;
                }
                for (ConsumerRecord<String, KeyVersionEvent> r : consumer.poll(POLL)) {
                    KeyVersionEvent e = r.value();
                    if (e != null && (e.getState() == KeyState.DISABLED || e.getState() == KeyState.DESTROY_SCHEDULED
                            || e.getState() == KeyState.DESTROYED)) {
                        int evicted = cache.evict(e.getKeyId(), e.getVersion());
                        LOG.atInfo().addKeyValue("keyId", e.getKeyId()).addKeyValue("version", e.getVersion())
                                .addKeyValue("state", e.getState()).addKeyValue("evicted", evicted)
                                .log("key version no longer usable: dropped from the unwrap cache");
                    } else if (e != null) {
                        cache.usable(e.getKeyId(), e.getVersion()); // enabled (again)
                    }
                }
            }
        } catch (WakeupException | InterruptedException e) {
            if (!closed) {
                LOG.atError().log("stopped following {}: {}", Topics.KEYS.name(), e.toString());
            }
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("stopped following {} (this principal needs READ on it): cached data keys now "
                    + "expire only by kms.unwrap-cache-ttl", Topics.KEYS.name());
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
