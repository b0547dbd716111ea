package io.strongroom.archiver;

import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Consumes {@code strongroom.segments} (read-committed) and archives each segment to every target
 * (the {@code s3} bucket and any {@code archiver.replicas}) at once, then writes the batch's
 * manifests. Offsets are committed after every object of a poll is durable on at least
 * {@code archiver.min-acks} targets and its index entry acknowledged. While S3
 * fails, the partition is rewound to the failed segment and retried with exponential backoff:
 * nothing is skipped and nothing is committed past it.
 *
 * <p>A record that is not a valid segment is kept as-is under {@code {environment}/_quarantine/}
 * and logged with its topic/partition/offset, so nothing is lost and the flow continues.
 */
public final class ArchiverService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiverService.class);

    private final ArchiverConfig config;
    private final String environment;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, ArchiveIndexEntry> indexProducer;
    private final List<ArchiveTarget> targets;
    private final ExecutorService writers;
    private final ExecutorService puts;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong segmentsArchived = new AtomicLong();
    private final AtomicLong recordsArchived = new AtomicLong();
    private final AtomicLong targetMisses = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable failure;

    private ArchiverService(ArchiverConfig config, S3Settings s3Settings, String environment, Map<String, Object> kafka) {
        this.config = config;
        this.environment = environment;
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        // segments are large records: fetch several per partition per round trip
        c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.indexProducer = new KafkaProducer<>(p, Topics.ARCHIVE_INDEX.keySerde().serializer(),
                Topics.ARCHIVE_INDEX.valueSerde().serializer());
        List<ArchiveTarget> all = new ArrayList<>();
        all.add(ArchiveTarget.of(s3Settings));
        config.replicas().forEach(r -> all.add(ArchiveTarget.of(r)));
        this.targets = List.copyOf(all);
        this.writers = Executors.newFixedThreadPool(targets.size() * config.putConcurrency(),
                r -> new Thread(r, "strongroom-archiver-target"));
        this.puts = Executors.newFixedThreadPool(config.putConcurrency(), r -> new Thread(r, "strongroom-archiver-put"));
        this.thread = new Thread(this::run, "strongroom-archiver");
    }

    /** Starts archiving on a background thread. */
    public static ArchiverService start(ArchiverConfig config, S3Settings s3, String environment, Map<String, Object> kafka) {
        ArchiverService service = new ArchiverService(config, s3, environment, kafka);
        service.thread.start();
        LOG.atInfo().addKeyValue("groupId", config.groupId()).addKeyValue("targets", service.targets.stream()
                .map(ArchiveTarget::name).toList()).addKeyValue("minAcks", config.minAcks()).log("archiver started");
        return service;
    }

    /** Segments written (or found already present) since start. */
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

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.SEGMENTS.name()));
            long backoffMs = 100;
            while (running) {
                ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(500));
                boolean failed = false;
                Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
                List<Future<RecordMetadata>> indexed = java.util.Collections.synchronizedList(new ArrayList<>());
                // Every segment of the poll, all partitions, goes out at once (put-concurrency at a time); results are
                // then taken per partition in offset order, and nothing is committed past the first one not durable.
                Map<TopicPartition, List<CompletableFuture<Archived>>> inFlight = new LinkedHashMap<>();
                for (TopicPartition tp : batch.partitions()) {
                    List<CompletableFuture<Archived>> futures = new ArrayList<>();
                    for (ConsumerRecord<String, byte[]> record : batch.records(tp)) {
                        futures.add(CompletableFuture.supplyAsync(() -> archive(record, indexed), puts));
                    }
                    inFlight.put(tp, futures);
                }
                Map<TopicPartition, CompletableFuture<Void>> manifests = new LinkedHashMap<>();
                Map<TopicPartition, long[]> ranges = new HashMap<>();
                for (TopicPartition tp : batch.partitions()) {
                    Map<String, List<Manifests.Entry>> manifest = new LinkedHashMap<>(); // tenant|day -> entries
                    long first = -1;
                    long last = -1;
                    List<ConsumerRecord<String, byte[]>> records = batch.records(tp);
                    List<CompletableFuture<Archived>> futures = inFlight.get(tp);
                    for (int i = 0; i < records.size(); i++) {
                        ConsumerRecord<String, byte[]> record = records.get(i);
                        try {
                            Archived archived = join(futures.get(i));
                            if (archived != null) {
                                manifest.computeIfAbsent(archived.tenant() + "|" + archived.day(), k -> new ArrayList<>())
                                        .add(archived.entry());
                            }
                            first = first < 0 ? record.offset() : first;
                            last = record.offset();
                        } catch (SdkException | NotDurableException e) {
                            LOG.atWarn().addKeyValue("partition", record.partition()).addKeyValue("offset", record.offset())
                                    .addKeyValue("retryInMs", backoffMs).log("S3 write failed, will retry: {}", e.getMessage());
                            futures.subList(i + 1, futures.size()).forEach(f -> f.handle((a, x) -> a).join());
                            consumer.seek(tp, record.offset());
                            failed = true;
                            break;
                        }
                    }
                    if (first >= 0) {
                        long from = first;
                        long to = last;
                        ranges.put(tp, new long[] {from, to});
                        manifests.put(tp, CompletableFuture.runAsync(() -> writeManifests(tp.partition(), from, to, manifest), puts));
                    }
                }
                for (Map.Entry<TopicPartition, CompletableFuture<Void>> m : manifests.entrySet()) {
                    TopicPartition tp = m.getKey();
                    try {
                        join(m.getValue());
                        done.put(tp, new OffsetAndMetadata(ranges.get(tp)[1] + 1));
                    } catch (SdkException | NotDurableException e) {
                        LOG.atWarn().addKeyValue("partition", tp.partition()).addKeyValue("retryInMs", backoffMs)
                                .log("manifest write failed, will retry the batch: {}", e.getMessage());
                        consumer.seek(tp, ranges.get(tp)[0]);
                        failed = true;
                    }
                }
                if (!done.isEmpty()) {
                    indexProducer.flush();
                    for (Future<RecordMetadata> f : indexed) {
                        f.get(); // an index entry that failed must not be committed past
                    }
                    consumer.commitSync(done);
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
        } catch (WakeupException e) {
            if (running) {
                failure = e;
            }
        } catch (Throwable e) {
            failure = e;
            LOG.atError().setCause(e).log("archiver stopped: {}", e.getMessage());
        } finally {
            running = false;
            consumer.close();
        }
    }

    /** A segment that is durable on enough targets. */
    private record Archived(String tenant, String day, Manifests.Entry entry) {}

    /** Fewer targets than {@code archiver.min-acks} hold an object: treated like an S3 failure (retry, no commit). */
    static final class NotDurableException extends RuntimeException {
        NotDurableException(String message) {
            super(message, null, false, false);
        }
    }

    private Archived archive(ConsumerRecord<String, byte[]> record, List<Future<RecordMetadata>> indexed) {
        String where = record.topic() + "/" + record.partition() + "/" + record.offset();
        Segment segment;
        try {
            segment = Segment.parse(where, record.value());
        } catch (SegmentFormatException e) {
            String key = environment + "/_quarantine/" + record.topic() + "-" + record.partition() + "-" + record.offset() + ".bin";
            byte[] bytes = record.value() == null ? new byte[0] : record.value();
            putEverywhere(key, bytes, (target, k) -> {
                try {
                    target.client().putObject(b -> b.bucket(target.bucket()).key(k).ifNoneMatch("*"), RequestBody.fromBytes(bytes));
                } catch (S3Exception already) {
                    if (already.statusCode() != 412) {
                        throw already;
                    } // quarantined on an earlier delivery of the same record
                }
            });
            LOG.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
                    .addKeyValue("offset", record.offset()).addKeyValue("object", key)
                    .log("not a valid segment, quarantined: {}", e.getMessage());
            return null;
        }
        SegmentHeader h = segment.header();
        String key = ObjectNames.of(h);
        byte[] sha256 = Segment.sha256(record.value());
        List<String> acked = putEverywhere(key, record.value(),
                (target, k) -> new SegmentWriter(target.client(), target.bucket(), config).write(k, segment, record.value()));
        indexed.add(indexProducer.send(new ProducerRecord<>(Topics.ARCHIVE_INDEX.name(), h.getSegmentId(), ArchiveIndexEntry.newBuilder()
                .setSegmentId(h.getSegmentId()).setEnvironment(h.getEnvironment()).setTenant(h.getTenant())
                .setStream(h.getStream()).setSourceTopic(h.getSourceTopic()).setSourcePartition(h.getSourcePartition())
                .setFirstOffset(h.getFirstOffset()).setLastOffset(h.getLastOffset()).setRecordCount(h.getRecordCount())
                .setMinEventTimeMs(h.getMinEventTimeMs()).setMaxEventTimeMs(h.getMaxEventTimeMs())
                .setPredecessorSegmentId(h.getPredecessorSegmentId()).setKeyId(h.getKeyId()).setKeyVersion(h.getKeyVersion())
                .setObjectKey(key).setTargets(acked).setObjectSizeBytes(record.value().length)
                .setObjectSha256(ByteBuffer.wrap(sha256))
                .setArchivedAtMs(System.currentTimeMillis()).build())));
        segmentsArchived.incrementAndGet();
        recordsArchived.addAndGet(h.getRecordCount());
        LOG.atDebug().addKeyValue("object", key).addKeyValue("targets", acked).log("archived segment");
        return new Archived(h.getTenant(), Manifests.day(h), Manifests.Entry.of(h, key, record.value().length, sha256));
    }

    private void writeManifests(int segmentsPartition, long first, long last, Map<String, List<Manifests.Entry>> manifest) {
        for (Map.Entry<String, List<Manifests.Entry>> e : manifest.entrySet()) {
            String tenant = e.getKey().substring(0, e.getKey().indexOf('|'));
            String day = e.getKey().substring(e.getKey().indexOf('|') + 1);
            String key = Manifests.key(environment, tenant, day, segmentsPartition, first, last);
            byte[] bytes = Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, environment, tenant, day, e.getValue()));
            putEverywhere(key, bytes, (target, k) -> {
                try {
                    target.client().putObject(b -> b.bucket(target.bucket()).key(k).ifNoneMatch("*")
                            .contentType("application/json"), RequestBody.fromBytes(bytes));
                } catch (S3Exception already) {
                    if (already.statusCode() != 412) {
                        throw already;
                    } // the same batch, written before a crash
                }
            });
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
    private List<String> putEverywhere(String key, byte[] bytes, Put put) {
        List<CompletableFuture<String>> writes = new ArrayList<>();
        for (ArchiveTarget target : targets) {
            java.util.function.Supplier<String> write = () -> {
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
        writers.shutdownNow();
        targets.forEach(ArchiveTarget::close);
    }
}
