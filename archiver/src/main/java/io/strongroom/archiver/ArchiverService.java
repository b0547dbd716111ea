package io.strongroom.archiver;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.CatalogSignatures;
import io.strongroom.archive.Manifests;
import io.strongroom.archive.S3Settings;
import io.strongroom.archive.SegmentWriter;
import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Consumes {@code strongroom.segments} (read-committed) and archives each segment to every target
 * (the {@code s3} bucket and any {@code archiver.replicas}) at once, while it keeps fetching, then
 * writes manifests for what is durable. An offset is committed after its segment, and every one before
 * it in the partition, is durable on at least {@code archiver.min-acks} targets, listed in a manifest
 * part and its index entry acknowledged. While S3 fails, the partition is rewound to the failed segment
 * and retried with exponential backoff: nothing is skipped and nothing is committed past it.
 *
 * <p>A record that is not a valid segment is kept as-is under {@code {environment}/_quarantine/}
 * and logged with its topic/partition/offset, so nothing is lost and the flow continues.
 */
public final class ArchiverService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiverService.class);

    private final ArchiverConfig config;
    private final SigningIdentity identity;
    private final String environment;
    private final KafkaConsumer<String, ByteBuffer> consumer;
    private final KafkaProducer<String, ArchiveIndexEntry> indexProducer;
    private final List<ArchiveTarget> targets;
    private final ExecutorService writers;
    private final ExecutorService puts;
    private final ExecutorService manifestWriters;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong segmentsArchived = new AtomicLong();
    private final AtomicLong recordsArchived = new AtomicLong();
    private final AtomicLong targetMisses = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable failure;

    private ArchiverService(ArchiverConfig config, S3Settings s3Settings, String environment, Map<String, Object> kafka,
            SigningIdentity identity) {
        this.config = config;
        this.identity = identity;
        this.environment = environment;
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        // segments are large records: fetch several per partition per round trip
        c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        // ... and let the OS size the socket's receive window (64 KiB by default: many more reads per segment)
        c.putIfAbsent(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1);
        // Values are views of the fetch buffers: a segment is checked, hashed if need be and sent from where it was
        // received. The consumer never reuses those buffers (clients allocate each response; a record of a compressed
        // batch gets a buffer of its own), and every view is read-only here: duplicates, never moved.
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteBufferDeserializer());
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // An index entry need only be durable before the offset it describes is committed, and each commit flushes
        // the producer first: so linger up to the commit interval, and the entries go in a few large batches rather
        // than a small acks=all request every few segments (which cost the broker nearly as much as serving them).
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, (int) COMMIT_INTERVAL.toMillis());
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, INDEX_BATCH_BYTES);
        this.indexProducer = new KafkaProducer<>(p, Topics.ARCHIVE_INDEX.keySerde().serializer(),
                Topics.ARCHIVE_INDEX.valueSerde().serializer());
        List<ArchiveTarget> all = new ArrayList<>();
        all.add(ArchiveTarget.of(s3Settings));
        config.replicas().forEach(r -> all.add(ArchiveTarget.of(r)));
        this.targets = List.copyOf(all);
        this.writers = Executors.newFixedThreadPool(targets.size() * config.putConcurrency(),
                r -> new Thread(r, "strongroom-archiver-target"));
        this.puts = Executors.newFixedThreadPool(config.putConcurrency(), r -> new Thread(r, "strongroom-archiver-put"));
        this.manifestWriters = Executors.newFixedThreadPool(2, r -> new Thread(r, "strongroom-archiver-manifest"));
        this.thread = new Thread(this::run, "strongroom-archiver");
    }

    /** Starts archiving on a background thread. */
    public static ArchiverService start(ArchiverConfig config, S3Settings s3, String environment, Map<String, Object> kafka) {
        return start(config, s3, environment, kafka, null);
    }

    /**
     * Starts archiving on a background thread, signing every manifest part with {@code identity} (the archiver's
     * signing identity: it signs, it decrypts nothing; null: manifest parts are unsigned).
     */
    public static ArchiverService start(ArchiverConfig config, S3Settings s3, String environment, Map<String, Object> kafka,
            SigningIdentity identity) {
        if (identity != null && identity.role() != Role.ARCHIVER) {
            throw new IllegalArgumentException("the archiver signs with an archiver identity, not " + identity.keyId());
        }
        ArchiverService service = new ArchiverService(config, s3, environment, kafka, identity);
        service.thread.start();
        LOG.atInfo().addKeyValue("groupId", config.groupId()).addKeyValue("targets", service.targets.stream()
                .map(ArchiveTarget::name).toList()).addKeyValue("minAcks", config.minAcks()).log("archiver started");
        return service;
    }

    /** Segments written (or found already present) and committed since start: in S3 with their manifests. */
    public long segmentsArchived() {
        return segmentsArchived.get();
    }

    /** Change events inside those segments. */
    public long recordsArchived() {
        return recordsArchived.get();
    }

    /** Whether the archiver is still running (false after close or a fatal error). */
    public boolean isRunning() {
        return running && failure == null;
    }

    /** Records archived but not yet committed, at most this many bytes (then the archiver stops fetching). */
    static final long MAX_IN_FLIGHT_BYTES = 64L * 1024 * 1024;
    /** ... and at most this many records. */
    static final int MAX_IN_FLIGHT_RECORDS = 2000;
    /** Longest a durable segment waits for its manifest and offset commit while segments keep coming. */
    static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
    /** Largest batch of index entries per partition: over a thousand entries of a few hundred bytes. */
    static final int INDEX_BATCH_BYTES = 512 * 1024;
    /** Longest a rebalance, a stop or a rewind waits for PUTs in flight. */
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);

    /** A record being archived; per partition in offset order. */
    private record Pending(ConsumerRecord<String, ByteBuffer> record, CompletableFuture<Archived> future) {
        long size() {
            return record.value() == null ? 0 : record.value().remaining();
        }
    }

    /** Durable segments of one partition, a contiguous offset range, waiting for their manifest and commit. */
    private static final class Ready {
        private final long since = System.nanoTime();
        private final Map<String, List<Manifests.Entry>> manifest = new LinkedHashMap<>(); // tenant|day -> entries
        private final List<Future<RecordMetadata>> indexed = new ArrayList<>();
        private long first = -1;
        private long last = -1;
        private long segments;
        private long records;

        void add(long offset, Archived archived) {
            first = first < 0 ? offset : first;
            last = offset;
            if (archived.entry() != null) {
                manifest.computeIfAbsent(archived.tenant() + "|" + archived.day(), k -> new ArrayList<>()).add(archived.entry());
                indexed.add(archived.indexed());
                segments++;
                records += archived.records();
            }
        }
    }

    /** Manifests being written for the ranges of some partitions; their offsets are committed once they are durable. */
    private record Stage(Map<TopicPartition, Ready> ranges, Map<TopicPartition, CompletableFuture<Void>> manifests) {
        boolean isDone() {
            return manifests.values().stream().allMatch(CompletableFuture::isDone);
        }
    }

    // Pipeline state, touched by the archiver thread only (rebalance callbacks run on it too, inside poll).
    private final Map<TopicPartition, ArrayDeque<Pending>> inFlight = new HashMap<>();
    private final Map<TopicPartition, Ready> ready = new HashMap<>();
    private long inFlightBytes;
    private int inFlightRecords;
    private Stage stage;

    /**
     * A pipeline, so that S3 never waits for Kafka or for a commit: segments are PUT ({@code put-concurrency} at
     * a time) as they are fetched, while the archiver keeps fetching (up to {@link #MAX_IN_FLIGHT_BYTES}); per
     * partition, the durable prefix in offset order gets its manifest parts (every {@link #COMMIT_INTERVAL}, or
     * at once when nothing else is in flight), and its offsets are committed after those and its index entries
     * are durable. A failed PUT or manifest rewinds its partition to the first offset not durable, discards
     * what was in flight after it, and backs off; nothing is committed past it.
     */
    private void run() {
        try {
            consumer.subscribe(List.of(Topics.SEGMENTS.name()), new Rebalance());
            long backoffMs = 100;
            while (running) {
                boolean failed;
                try {
                    if (inFlightBytes >= MAX_IN_FLIGHT_BYTES || inFlightRecords >= MAX_IN_FLIGHT_RECORDS) {
                        awaitOldest(Duration.ofMillis(200)); // backpressure: enough is buffered, let S3 catch up
                    } else {
                        boolean busy = inFlightRecords > 0 || stage != null || !ready.isEmpty();
                        for (ConsumerRecord<String, ByteBuffer> record : consumer.poll(Duration.ofMillis(busy ? 10 : 500))) {
                            Pending p = new Pending(record, CompletableFuture.supplyAsync(() -> archive(record), puts));
                            inFlight.computeIfAbsent(new TopicPartition(record.topic(), record.partition()),
                                    tp -> new ArrayDeque<>()).add(p);
                            inFlightBytes += p.size();
                            inFlightRecords++;
                        }
                    }
                    failed = harvest();
                    failed |= advanceStage(false);
                } catch (WakeupException e) {
                    if (running) {
                        throw e;
                    }
                    break;
                }
                if (failed) {
                    if (stopped.await(backoffMs, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                    backoffMs = Math.min(backoffMs * 2, config.maxBackoff().toMillis());
                } else {
                    backoffMs = 100;
                }
            }
            drainQuietly();
        } catch (Throwable e) {
            failure = e;
            LOG.atError().setCause(e).log("archiver stopped: {}", e.getMessage());
        } finally {
            running = false;
            consumer.close();
        }
    }

    /** Waits until the oldest record in flight of some partition is done, at most {@code timeout}. */
    private void awaitOldest(Duration timeout) throws InterruptedException {
        CompletableFuture<?>[] heads = inFlight.values().stream().filter(q -> !q.isEmpty()).map(q -> q.peek().future())
                .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.anyOf(heads).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // harvest() looks at it
        }
    }

    /** Moves each partition's done prefix to {@link #ready}; a failure rewinds its partition. True if one failed. */
    private boolean harvest() {
        boolean failed = false;
        for (TopicPartition tp : List.copyOf(inFlight.keySet())) {
            ArrayDeque<Pending> q = inFlight.get(tp);
            while (!q.isEmpty() && q.peek().future().isDone()) {
                Pending p = q.poll();
                inFlightBytes -= p.size();
                inFlightRecords--;
                try {
                    Archived archived = join(p.future()); // before the range exists: a failure must not leave an empty one
                    ready.computeIfAbsent(tp, t -> new Ready()).add(p.record().offset(), archived);
                } catch (SdkException | NotDurableException e) {
                    LOG.atWarn().addKeyValue("partition", tp.partition()).addKeyValue("offset", p.record().offset())
                            .log("S3 write failed, will retry: {}", e.getMessage());
                    rewind(tp, p.record().offset());
                    failed = true;
                    break;
                }
            }
        }
        return failed;
    }

    /**
     * Forgets everything of {@code tp} from {@code offset} on (in flight, or durable but not yet in a manifest) and
     * seeks back to it: it is fetched and archived again (the conditional PUT makes that idempotent).
     */
    private void rewind(TopicPartition tp, long offset) {
        ArrayDeque<Pending> q = inFlight.remove(tp);
        if (q != null) {
            long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
            for (Pending p : q) {
                inFlightBytes -= p.size();
                inFlightRecords--;
                try { // let its PUT finish before the same segment is PUT again (a second one would be harmless)
                    settle(p.future(), deadline);
                } catch (TimeoutException e) {
                    // carry on: the conditional PUT makes a second attempt harmless
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        Ready r = ready.get(tp);
        if (r != null && r.first >= offset) {
            ready.remove(tp);
        }
        consumer.seek(tp, offset);
    }

    /**
     * Commits the stage in progress once its manifests are durable (or waits for them if {@code force}), then starts
     * the next one when the ready ranges are due. True if a manifest failed.
     */
    private boolean advanceStage(boolean force) throws Exception {
        boolean failed = false;
        if (stage != null) {
            if (!force && !stage.isDone()) {
                return false;
            }
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            List<Ready> committed = new ArrayList<>();
            Set<TopicPartition> assigned = consumer.assignment();
            for (Map.Entry<TopicPartition, CompletableFuture<Void>> m : stage.manifests().entrySet()) {
                TopicPartition tp = m.getKey();
                Ready range = stage.ranges().get(tp);
                try {
                    join(m.getValue());
                    if (assigned.contains(tp)) {
                        // Nothing of tp left in flight or waiting: everything poll returned is archived, so commit the
                        // consumer's position, which is past transaction markers too (else the lag never reaches 0).
                        boolean idle = ready.get(tp) == null && (inFlight.get(tp) == null || inFlight.get(tp).isEmpty());
                        long next = idle ? Math.max(range.last + 1, consumer.position(tp)) : range.last + 1;
                        commit.put(tp, new OffsetAndMetadata(next));
                        committed.add(range);
                    }
                } catch (SdkException | NotDurableException e) {
                    LOG.atWarn().addKeyValue("partition", tp.partition()).addKeyValue("offset", range.first)
                            .log("manifest write failed, will retry from the first segment it lists: {}", e.getMessage());
                    rewind(tp, range.first);
                    failed = true;
                }
            }
            stage = null;
            if (!commit.isEmpty()) {
                indexProducer.flush();
                for (Ready range : committed) {
                    for (Future<RecordMetadata> f : range.indexed) {
                        f.get(); // an index entry that failed must not be committed past
                    }
                }
                consumer.commitSync(commit);
                for (Ready range : committed) {
                    segmentsArchived.addAndGet(range.segments);
                    recordsArchived.addAndGet(range.records);
                }
            }
        }
        boolean due = force || inFlightRecords == 0
                || ready.values().stream().anyMatch(r -> System.nanoTime() - r.since >= COMMIT_INTERVAL.toNanos());
        if (!ready.isEmpty() && due) {
            Map<TopicPartition, Ready> ranges = new HashMap<>(ready);
            ready.clear();
            Map<TopicPartition, CompletableFuture<Void>> manifests = new HashMap<>();
            ranges.forEach((tp, r) -> manifests.put(tp,
                    CompletableFuture.runAsync(() -> writeManifests(tp.partition(), r.first, r.last, r.manifest), manifestWriters)));
            stage = new Stage(ranges, manifests);
        }
        return failed;
    }

    /** Waits for what is in flight and commits what became durable: before a rebalance, or on a graceful stop. */
    private void drain() throws Exception {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        for (ArrayDeque<Pending> q : inFlight.values()) {
            for (Pending p : q) {
                settle(p.future(), deadline);
            }
        }
        harvest();
        advanceStage(true); // commits the stage in progress, starts one for what is ready
        advanceStage(true); // commits that one
    }

    /** Waits until {@code f} completes either way, until {@code deadline} ({@link System#nanoTime()}). */
    private static void settle(CompletableFuture<?> f, long deadline)
            throws TimeoutException, InterruptedException {
        try {
            f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | CancellationException e) {
            // done
        }
    }

    private void drainQuietly() {
        try {
            drain();
        } catch (Exception e) { // it is all archived again (idempotently) by whoever resumes from the last commit
            LOG.atInfo().log("stopped before committing the last segments, they are archived again on restart: {}", e.toString());
        }
    }

    /** Before partitions move to another instance, commit what is durable; forget what is lost. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (running && !partitions.isEmpty()) {
                drainQuietly();
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                ArrayDeque<Pending> q = inFlight.remove(tp);
                if (q != null) {
                    q.forEach(p -> {
                        inFlightBytes -= p.size();
                        inFlightRecords--;
                    });
                }
                ready.remove(tp);
                if (stage != null) {
                    stage.ranges().remove(tp);
                    stage.manifests().remove(tp);
                }
            }
        }
    }

    /** A segment that is durable on enough targets (entry null: not a segment, quarantined). */
    private record Archived(String tenant, String day, Manifests.Entry entry, long records, Future<RecordMetadata> indexed) {}

    /** Fewer targets than {@code archiver.min-acks} hold an object: treated like an S3 failure (retry, no commit). */
    static final class NotDurableException extends RuntimeException {
        NotDurableException(String message) {
            super(message, null, false, false);
        }
    }

    private Archived archive(ConsumerRecord<String, ByteBuffer> record) {
        String where = record.topic() + "/" + record.partition() + "/" + record.offset();
        ByteBuffer frame = record.value();
        SegmentHeader h;
        try {
            h = Segment.check(where, frame);
        } catch (SegmentFormatException e) {
            String key = ArchiveLayout.quarantineKey(environment, record.topic(), record.partition(), record.offset());
            byte[] bytes = new byte[frame == null ? 0 : frame.remaining()];
            if (frame != null) {
                frame.duplicate().get(bytes);
            }
            // already present: quarantined on an earlier delivery of the same record
            putEverywhere(key, (target, k) -> target.putIfAbsent(k, bytes, "application/octet-stream", null));
            LOG.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
                    .addKeyValue("offset", record.offset()).addKeyValue("object", key)
                    .log("not a valid segment, quarantined: {}", e.getMessage());
            return new Archived(null, null, null, 0, null);
        }
        String key = ArchiveLayout.segmentKey(h);
        byte[] sha256 = sha256(record);
        int size = frame.remaining();
        List<String> acked = putEverywhere(key,
                (target, k) -> new SegmentWriter(target, config.retentionPolicy()).write(k, h, frame));
        Future<RecordMetadata> indexed = indexProducer.send(new ProducerRecord<>(Topics.ARCHIVE_INDEX.name(), h.getSegmentId(), ArchiveIndexEntry.newBuilder()
                .setSegmentId(h.getSegmentId()).setEnvironment(h.getEnvironment()).setTenant(h.getTenant())
                .setStream(h.getStream()).setSourceTopic(h.getSourceTopic()).setSourcePartition(h.getSourcePartition())
                .setFirstOffset(h.getFirstOffset()).setLastOffset(h.getLastOffset()).setRecordCount(h.getRecordCount())
                .setMinEventTimeMs(h.getMinEventTimeMs()).setMaxEventTimeMs(h.getMaxEventTimeMs())
                .setPredecessorSegmentId(h.getPredecessorSegmentId()).setKeyId(h.getKeyId()).setKeyVersion(h.getKeyVersion())
                .setObjectKey(key).setTargets(acked).setObjectSizeBytes(size)
                .setObjectSha256(ByteBuffer.wrap(sha256))
                .setArchivedAtMs(System.currentTimeMillis()).build()));
        LOG.atDebug().addKeyValue("object", key).addKeyValue("targets", acked).log("archived segment");
        return new Archived(h.getTenant(), ArchiveLayout.day(h.getSealedAtMs()), Manifests.Entry.of(h, key, size, sha256),
                h.getRecordCount(), indexed);
    }

    /**
     * The SHA-256 of the record's value: the one the encryptor computed as it sealed (header
     * {@link Topics#SEGMENT_SHA256_HEADER}), else computed here. The archiver does not check the encryptor's: the
     * record's CRC32C was checked, and verify and restore compare every object with it.
     */
    static byte[] sha256(ConsumerRecord<String, ByteBuffer> record) {
        Header declared = record.headers().lastHeader(Topics.SEGMENT_SHA256_HEADER);
        return declared != null && declared.value() != null && declared.value().length == 32
                ? declared.value() : Segment.sha256(record.value());
    }

    private void writeManifests(int segmentsPartition, long first, long last, Map<String, List<Manifests.Entry>> manifest) {
        for (Map.Entry<String, List<Manifests.Entry>> e : manifest.entrySet()) {
            String tenant = e.getKey().substring(0, e.getKey().indexOf('|'));
            String day = e.getKey().substring(e.getKey().indexOf('|') + 1);
            String key = ArchiveLayout.manifestKey(environment, tenant, day, segmentsPartition, first, last);
            byte[] bytes = CatalogSignatures.seal(identity, key,
                    Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, environment, tenant, day, e.getValue())));
            // already present: the same batch, written before a crash
            ArchiveTarget.Lock lock = config.retentionPolicy().lockOf(e.getValue()); // lives as long as its segments
            putEverywhere(key, (target, k) -> target.putIfAbsent(k, bytes, "application/json", lock));
        }
    }

    /** The future's value, or its failure unwrapped. */
    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private interface Put {
        void put(ArchiveTarget target, String key);
    }

    /**
     * Writes {@code key} to every target at once; returns the targets that hold it.
     *
     * @throws NotDurableException if fewer than {@code archiver.min-acks} do
     */
    private List<String> putEverywhere(String key, Put put) {
        List<CompletableFuture<String>> writes = new ArrayList<>();
        for (ArchiveTarget target : targets) {
            Supplier<String> write = () -> {
                put.put(target, key);
                return target.name();
            };
            if (targets.size() == 1) { // no hop to another thread for the common case
                try {
                    writes.add(CompletableFuture.completedFuture(write.get()));
                } catch (RuntimeException e) {
                    writes.add(CompletableFuture.failedFuture(e));
                }
            } else {
                writes.add(CompletableFuture.supplyAsync(write, writers));
            }
        }
        List<String> acked = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < writes.size(); i++) {
            try {
                acked.add(writes.get(i).join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof IllegalStateException fatal) {
                    throw fatal; // an object with the same name and another body: never overwrite, stop
                }
                missed.add(targets.get(i).name() + " (" + e.getCause().getMessage() + ")");
            }
        }
        if (acked.size() < config.minAcks()) {
            throw new NotDurableException(key + " is on " + acked.size() + " of " + targets.size() + " targets, "
                    + config.minAcks() + " required; failed: " + String.join(", ", missed));
        }
        if (!missed.isEmpty()) {
            targetMisses.incrementAndGet();
            LOG.atWarn().addKeyValue("object", key).addKeyValue("missing", missed)
                    .log("written to {} of {} targets; strongroom archive repair copies it to the others", acked.size(), targets.size());
        }
        return acked;
    }

    /** Objects that reached at least {@code min-acks} targets but not all of them, since start. */
    public long targetMisses() {
        return targetMisses.get();
    }

    @Override
    public void close() {
        running = false;
        stopped.countDown();
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        indexProducer.close(Duration.ofSeconds(10));
        puts.shutdownNow();
        manifestWriters.shutdownNow();
        writers.shutdownNow();
        targets.forEach(ArchiveTarget::close);
    }
}
