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
import java.util.concurrent.CountDownLatch;
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
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Consumes {@code strongroom.segments} (read-committed) and archives each segment. Offsets are
 * committed after every object of a poll is durable and its index entry acknowledged. While S3
 * fails, the partition is rewound to the failed segment and retried with exponential backoff:
 * nothing is skipped and nothing is committed past it.
 *
 * <p>A record that is not a valid segment is kept as-is under {@code {environment}/_quarantine/}
 * and logged with its topic/partition/offset, so nothing is lost and the flow continues.
 */
public final class ArchiverService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiverService.class);

    private final ArchiverConfig config;
    private final S3Settings s3Settings;
    private final String environment;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, ArchiveIndexEntry> indexProducer;
    private final S3Client s3;
    private final SegmentWriter writer;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong segmentsArchived = new AtomicLong();
    private final AtomicLong recordsArchived = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable failure;

    private ArchiverService(ArchiverConfig config, S3Settings s3Settings, String environment, Map<String, Object> kafka) {
        this.config = config;
        this.s3Settings = s3Settings;
        this.environment = environment;
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.indexProducer = new KafkaProducer<>(p, Topics.ARCHIVE_INDEX.keySerde().serializer(),
                Topics.ARCHIVE_INDEX.valueSerde().serializer());
        this.s3 = s3Settings.client();
        this.writer = new SegmentWriter(s3, s3Settings.bucket());
        this.thread = new Thread(this::run, "strongroom-archiver");
    }

    /** Starts archiving on a background thread. */
    public static ArchiverService start(ArchiverConfig config, S3Settings s3, String environment, Map<String, Object> kafka) {
        ArchiverService service = new ArchiverService(config, s3, environment, kafka);
        service.thread.start();
        LOG.atInfo().addKeyValue("groupId", config.groupId()).addKeyValue("bucket", s3.bucket()).log("archiver started");
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
                List<Future<RecordMetadata>> indexed = new ArrayList<>();
                for (TopicPartition tp : batch.partitions()) {
                    for (ConsumerRecord<String, byte[]> record : batch.records(tp)) {
                        try {
                            archive(record, indexed);
                            done.put(tp, new OffsetAndMetadata(record.offset() + 1));
                        } catch (SdkException e) {
                            LOG.atWarn().addKeyValue("partition", record.partition()).addKeyValue("offset", record.offset())
                                    .addKeyValue("retryInMs", backoffMs).log("S3 write failed, will retry: {}", e.getMessage());
                            consumer.seek(tp, record.offset());
                            failed = true;
                            break;
                        }
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

    private void archive(ConsumerRecord<String, byte[]> record, List<Future<RecordMetadata>> indexed) {
        String where = record.topic() + "/" + record.partition() + "/" + record.offset();
        Segment segment;
        try {
            segment = Segment.parse(where, record.value());
        } catch (SegmentFormatException e) {
            String key = environment + "/_quarantine/" + record.topic() + "-" + record.partition() + "-" + record.offset() + ".bin";
            try {
                s3.putObject(b -> b.bucket(s3Settings.bucket()).key(key).ifNoneMatch("*"),
                        RequestBody.fromBytes(record.value() == null ? new byte[0] : record.value()));
            } catch (S3Exception already) {
                if (already.statusCode() != 412) {
                    throw already;
                }
                return; // quarantined on an earlier delivery of the same record
            }
            LOG.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
                    .addKeyValue("offset", record.offset()).addKeyValue("object", key)
                    .log("not a valid segment, quarantined: {}", e.getMessage());
            return;
        }
        SegmentHeader h = segment.header();
        String key = ObjectNames.of(h);
        SegmentWriter.Outcome outcome = writer.write(key, segment, record.value());
        indexed.add(indexProducer.send(new ProducerRecord<>(Topics.ARCHIVE_INDEX.name(), h.getSegmentId(), ArchiveIndexEntry.newBuilder()
                .setSegmentId(h.getSegmentId()).setEnvironment(h.getEnvironment()).setTenant(h.getTenant())
                .setStream(h.getStream()).setSourceTopic(h.getSourceTopic()).setSourcePartition(h.getSourcePartition())
                .setFirstOffset(h.getFirstOffset()).setLastOffset(h.getLastOffset()).setRecordCount(h.getRecordCount())
                .setMinEventTimeMs(h.getMinEventTimeMs()).setMaxEventTimeMs(h.getMaxEventTimeMs())
                .setPredecessorSegmentId(h.getPredecessorSegmentId()).setKeyId(h.getKeyId()).setKeyVersion(h.getKeyVersion())
                .setObjectKey(key).setTargets(List.of(s3Settings.bucket())).setObjectSizeBytes(record.value().length)
                .setObjectSha256(ByteBuffer.wrap(Segment.sha256(record.value())))
                .setArchivedAtMs(System.currentTimeMillis()).build())));
        segmentsArchived.incrementAndGet();
        recordsArchived.addAndGet(h.getRecordCount());
        LOG.atDebug().addKeyValue("object", key).addKeyValue("outcome", outcome).log("archived segment");
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
        s3.close();
    }
}
