package io.strongroom.archiver;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.Manifests;
import io.strongroom.archive.S3Settings;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.crypto.Segment;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import io.strongroom.testkit.TestSegments;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Both tests read the one segments topic: the replay test runs first and counts exactly; the outage test runs after it. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArchiverIT {
    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;
    @TempDir static Path kmsDir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        s3 = EmbeddedS3.start();
        kafka.createTopics(2, Topics.SEGMENTS.name(), Topics.ARCHIVE_INDEX.name());
    }

    @AfterAll
    static void stop() {
        s3.close();
        kafka.close();
    }

    private static S3Settings settings(String bucket) {
        return new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, bucket, EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, null);
    }

    private static byte[] segment(int partition, long first, long last) {
        return TestSegments.seal(TestKms.local(kmsDir, true), partition, first, last, "record");
    }

    private static List<String> keys(String bucket) {
        try (S3Client client = s3.client()) {
            return client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
        }
    }

    private static Map<String, byte[]> objects(String bucket) {
        Map<String, byte[]> objects = new HashMap<>();
        try (S3Client client = s3.client()) {
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                objects.put(o.key(), client.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray());
            }
        }
        return objects;
    }

    private static Set<String> withoutManifests(Set<String> keys) {
        return keys.stream().filter(k -> !k.contains("/_manifests/")).collect(Collectors.toSet());
    }

    @Test
    @Order(1)
    void eachSegmentBecomesOneByteIdenticalObjectAndAReplayDuplicatesNothing() throws Exception {
        String bucket = "archiver-it-replay";
        s3.createBucket(bucket);
        List<byte[]> segments = List.of(segment(0, 0, 9), segment(1, 0, 4), segment(0, 10, 19));
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
                Topics.SEGMENTS.keySerde().serializer(), Topics.SEGMENTS.valueSerde().serializer())) {
            for (byte[] s : segments) {
                producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), "acme/0", s)).get();
            }
            producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), "acme/0", "not a segment".getBytes(StandardCharsets.UTF_8))).get();
        }
        Map<String, Object> kafkaProps = Map.of("bootstrap.servers", kafka.bootstrapServers());
        ArchiverConfig config = ArchiverConfig.of("archiver-it-replay", null);
        try (ArchiverService archiver = ArchiverService.start(config, settings(bucket), "it", kafkaProps)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> archiver.segmentsArchived() == 3);
        }
        Map<String, byte[]> first = objects(bucket);
        assertThat(first.keySet().stream().filter(k -> k.endsWith(ArchiveLayout.SEGMENT_SUFFIX))).hasSize(3);
        for (byte[] s : segments) {
            assertThat(first.get(ArchiveLayout.segmentKey(Segment.parse("t", s).header()))).isEqualTo(s);
        }
        assertThat(first.keySet()).anyMatch(k -> k.startsWith("it/_quarantine/strongroom.segments-"));

        // replay everything from offset 0, as after a crash between PUT and offset commit
        try (Admin admin = kafka.admin()) {
            admin.deleteConsumerGroups(List.of("archiver-it-replay")).all().get();
        }
        try (ArchiverService archiver = ArchiverService.start(config, settings(bucket), "it", kafkaProps)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> archiver.segmentsArchived() == 3);
            // the quarantined record comes last: the replay must get past it (and commit) too
            await().atMost(Duration.ofSeconds(30)).until(() -> committed("archiver-it-replay") == 4);
            assertThat(archiver.isRunning()).isTrue();
        }
        Map<String, byte[]> second = objects(bucket);
        // a replayed batch may be cut differently, so manifest parts can differ; segments and quarantine may not
        assertThat(withoutManifests(second.keySet())).isEqualTo(withoutManifests(first.keySet()));
        second.forEach((k, v) -> assertThat(v).as(k).isEqualTo(first.containsKey(k) ? first.get(k) : v));
        Set<String> listed = second.entrySet().stream().filter(e -> e.getKey().contains("/_manifests/"))
                .flatMap(e -> Manifests.decode(e.getKey(), e.getValue()).segments().stream())
                .map(Manifests.Entry::objectKey).collect(Collectors.toSet());
        assertThat(listed).as("the manifests list every segment").containsExactlyInAnyOrderElementsOf(
                first.keySet().stream().filter(k -> k.endsWith(ArchiveLayout.SEGMENT_SUFFIX)).toList());

        List<ArchiveIndexEntry> index = readIndex();
        Set<String> indexed = index.stream().map(ArchiveIndexEntry::getObjectKey).collect(Collectors.toSet());
        assertThat(indexed).containsExactlyInAnyOrderElementsOf(
                first.keySet().stream().filter(k -> k.endsWith(ArchiveLayout.SEGMENT_SUFFIX)).toList());
    }

    @Test
    @Order(2)
    void s3OutageMeansBackpressureNotLoss() throws Exception {
        String bucket = "archiver-it-outage"; // does not exist yet: every PUT fails
        String group = "archiver-it-outage";
        String topicKey = "acme/1";
        byte[] s = segment(5, 100, 109);
        Map<String, Object> kafkaProps = Map.of("bootstrap.servers", kafka.bootstrapServers());
        try (ArchiverService archiver = ArchiverService.start(ArchiverConfig.of(group, Duration.ofMillis(200)),
                settings(bucket), "it", kafkaProps);
                var producer = new KafkaProducer<>(kafkaProps, Topics.SEGMENTS.keySerde().serializer(),
                        Topics.SEGMENTS.valueSerde().serializer())) {
            // a new group starts from the earliest offset: the first test's segments block behind the missing bucket too
            producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), topicKey, s)).get();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                    .until(() -> archiver.segmentsArchived() == 0 && archiver.isRunning());
            s3.createBucket(bucket);
            await().atMost(Duration.ofSeconds(60)).until(() -> keys(bucket).contains(ArchiveLayout.segmentKey(Segment.parse("t", s).header())));
            assertThat(archiver.isRunning()).isTrue();
        }
    }

    private static long committed(String group) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(o -> o.offset()).sum();
        }
    }

    private static List<ArchiveIndexEntry> readIndex() {
        List<ArchiveIndexEntry> entries = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "index-reader-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.ARCHIVE_INDEX.keySerde().deserializer(), Topics.ARCHIVE_INDEX.valueSerde().deserializer())) {
            consumer.subscribe(List.of(Topics.ARCHIVE_INDEX.name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> entries.add(r.value()));
                return entries.size() >= 6;
            });
        }
        return entries;
    }
}
