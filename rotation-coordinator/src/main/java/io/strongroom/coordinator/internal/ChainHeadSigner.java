package io.strongroom.coordinator.internal;

import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.ChainHeads;
import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the archive's chain heads (see {@link ChainHeads}) from {@code strongroom.archive.index}, which an S3 writer
 * cannot reach. At start it reads the whole (compacted) index, so its heads never depend on what the bucket says; it
 * continues after the newest checkpoint it can authenticate. Not thread-safe: one thread calls {@link #checkpoint}.
 */
public final class ChainHeadSigner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChainHeadSigner.class);

    private final KafkaConsumer<String, ArchiveIndexEntry> index;
    private final List<ArchiveTarget> targets;
    private final String environment;
    private final SigningIdentity identity;
    private final Duration interval;
    private final String lockMode;
    private final Duration lockFor;
    private final Clock clock;
    private final ChainHeads.Tracker tracker = new ChainHeads.Tracker();
    private final Duration pollDeadline;
    private ChainHeads.Stored previous;

    /**
     * @param kafka client properties (the coordinator's principal reads the index)
     * @param lockMode Object Lock mode for each checkpoint ({@code GOVERNANCE}, {@code COMPLIANCE}), or null
     * @param lockFor how long each checkpoint is locked from when it is written
     */
    public ChainHeadSigner(Map<String, Object> kafka, List<ArchiveTarget> targets, String environment,
            SigningIdentity identity, TrustFile trust, Duration interval, String lockMode, Duration lockFor, Clock clock) {
        if (identity == null || identity.role() != Role.COORDINATOR) {
            throw new IllegalArgumentException("chain heads are signed with a coordinator identity, not "
                    + (identity == null ? "none" : identity.keyId()));
        }
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG); // assigned, no group: nothing to commit, nothing to share
        this.index = new KafkaConsumer<>(c, Topics.ARCHIVE_INDEX.keySerde().deserializer(),
                Topics.ARCHIVE_INDEX.valueSerde().deserializer());
        this.targets = List.copyOf(targets);
        this.environment = environment;
        this.identity = identity;
        this.interval = interval;
        this.lockMode = lockMode;
        this.lockFor = lockFor;
        this.clock = clock;
        this.pollDeadline = Duration.ofSeconds(30);
        try {
            ChainHeads.History history = ChainHeads.read(targets.get(0), environment, trust);
            history.problems().forEach(p -> LOG.atWarn().addKeyValue("problem", p).log("chain-head checkpoints"));
            this.previous = history.newest();
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /**
     * Assigns every partition of the index not assigned yet, from its beginning: the topic may be created after this
     * signer, and may grow.
     *
     * @throws IllegalStateException if the index has no partitions (not created yet): nothing is signed then, rather
     *     than heads of nothing
     */
    private void assignAll() {
        List<TopicPartition> partitions = index.partitionsFor(Topics.ARCHIVE_INDEX.name(), pollDeadline).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException(Topics.ARCHIVE_INDEX.name() + " has no partitions (not created yet?): "
                    + "chain heads not signed");
        }
        List<TopicPartition> added = partitions.stream().filter(p -> !index.assignment().contains(p)).toList();
        if (!added.isEmpty()) {
            List<TopicPartition> all = new ArrayList<>(index.assignment());
            all.addAll(added);
            index.assign(all);
            index.seekToBeginning(added);
        }
    }

    /**
     * Reads the index up to its end now and stores the next checkpoint.
     *
     * @throws IllegalStateException if the index cannot be read to its end within the deadline
     */
    public ChainHeads.Stored checkpoint() {
        assignAll();
        Map<TopicPartition, Long> end = index.endOffsets(index.assignment(), pollDeadline);
        Instant deadline = clock.instant().plus(pollDeadline);
        while (end.entrySet().stream().anyMatch(e -> index.position(e.getKey(), pollDeadline) < e.getValue())) {
            if (clock.instant().isAfter(deadline)) {
                throw new IllegalStateException("could not read " + Topics.ARCHIVE_INDEX.name() + " to its end " + end
                        + " within " + pollDeadline);
            }
            for (ConsumerRecord<String, ArchiveIndexEntry> r : index.poll(Duration.ofMillis(500))) {
                ArchiveIndexEntry e = r.value();
                if (e != null && environment.equals(e.getEnvironment())) {
                    tracker.add(e.getTenant(), e.getStream(), e.getSourcePartition(), e.getSegmentId(), e.getLastOffset());
                }
            }
        }
        Instant now = clock.instant();
        previous = ChainHeads.write(targets, environment, identity, previous, tracker.heads(), now, interval,
                lockMode == null ? null : new ArchiveTarget.Lock(lockMode, now.plus(lockFor)));
        LOG.atInfo().addKeyValue("checkpoint", previous.key()).addKeyValue("chains", previous.checkpoint().heads().size())
                .log("chain heads signed");
        return previous;
    }

    /** Makes a {@link #checkpoint} under way on another thread give up at once (thread-safe): before {@link #close}. */
    public void wakeup() {
        index.wakeup();
    }

    @Override
    public void close() {
        index.close();
    }
}
