package io.strongroom.archiver;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.S3Settings;
import io.strongroom.archive.ArchiveRepair;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.crypto.Segment;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import io.strongroom.testkit.TestSegments;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Two S3 targets (two "regions"): both hold every segment byte for byte; one goes away and comes back; repair converges. */
class ArchiverReplicationIT {
    private static final String BUCKET = "archive";
    EmbeddedKafka kafka;
    EmbeddedS3 east;
    EmbeddedS3 west;
    int westPort;
    @TempDir Path dir;

    @BeforeEach
    void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(2, Topics.SEGMENTS.name(), Topics.ARCHIVE_INDEX.name());
        east = EmbeddedS3.start(dir.resolve("east"), false);
        west = EmbeddedS3.start(dir.resolve("west"), false);
        westPort = west.endpoint().getPort();
        east.createBucket(BUCKET);
        west.createBucket(BUCKET);
    }

    @AfterEach
    void stop() {
        east.close();
        if (west != null) {
            west.close();
        }
        kafka.close();
    }

    private static S3Settings settings(EmbeddedS3 s3) {
        return new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, BUCKET, EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, null);
    }

    private S3Settings westSettings() {
        return new S3Settings("http://127.0.0.1:" + westPort, EmbeddedS3.REGION, BUCKET, EmbeddedS3.ACCESS_KEY,
                EmbeddedS3.SECRET_KEY, null);
    }

    private byte[] segment(long first) {
        return TestSegments.seal(TestKms.local(dir.resolve("kms"), true), 0, first, first + 9, "record " + first);
    }

    private List<byte[]> produce(int n, long firstOffset) throws Exception {
        List<byte[]> segments = new ArrayList<>();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
                Topics.SEGMENTS.keySerde().serializer(), Topics.SEGMENTS.valueSerde().serializer())) {
            for (int i = 0; i < n; i++) {
                byte[] s = segment(firstOffset + 10L * i);
                segments.add(s);
                producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), "acme/0", s)).get();
            }
        }
        return segments;
    }

    private static Map<String, byte[]> objects(EmbeddedS3 s3) {
        Map<String, byte[]> objects = new HashMap<>();
        try (S3Client client = s3.client()) {
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
                try {
                    objects.put(o.key(), client.getObjectAsBytes(b -> b.bucket(BUCKET).key(o.key())).asByteArray());
                } catch (NoSuchKeyException gone) {
                    // listed, then gone before the read (the archiver is writing while a wait polls): not in this snapshot
                }
            }
        }
        return objects;
    }

    private static long segmentsOn(EmbeddedS3 s3) {
        return objects(s3).keySet().stream().filter(k -> k.endsWith(ArchiveLayout.SEGMENT_SUFFIX)).count();
    }

    private long committed(String group) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(o -> o.offset()).sum();
        }
    }

    private static void assertIdentical(Map<String, byte[]> a, Map<String, byte[]> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        a.forEach((k, v) -> assertThat(v).as(k).isEqualTo(b.get(k)));
    }

    @Test
    void everySegmentIsOnBothTargetsAndWithAllRequiredATargetOutageHoldsTheCommitUntilItIsBack() throws Exception {
        List<byte[]> segments = produce(4, 0);
        Map<String, Object> kafkaProps = Map.of("bootstrap.servers", kafka.bootstrapServers());
        ArchiverConfig config = new ArchiverConfig("repl-all", Duration.ofMillis(200), List.of(westSettings()), null, null, null, null);
        try (ArchiverService archiver = ArchiverService.start(config, settings(east), "it", kafkaProps)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> segmentsOn(east) == 4 && segmentsOn(west) == 4
                    && committed("repl-all") == 4);
            assertIdentical(objects(east), objects(west));
            for (byte[] s : segments) {
                assertThat(objects(west).get(ArchiveLayout.segmentKey(Segment.parse("t", s).header()))).isEqualTo(s);
            }

            west.close();
            produce(3, 100);
            // backpressure: the first segment that cannot reach both targets is retried, nothing is committed past it
            await().atMost(Duration.ofSeconds(30)).until(() -> segmentsOn(east) >= 5);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> committed("repl-all"), c -> c == 4);
            west = EmbeddedS3.start(dir.resolve("west"), false, westPort);
            await().atMost(Duration.ofSeconds(60)).until(() -> committed("repl-all") == 7);
            assertThat(archiver.isRunning()).isTrue();
            assertThat(archiver.targetMisses()).as("nothing committed short of both targets").isZero();
        }
        assertIdentical(objects(east), objects(west));
    }

    @Test
    void withOneAckRequiredATargetThatWasDownIsFilledInByRepair() throws Exception {
        Map<String, Object> kafkaProps = Map.of("bootstrap.servers", kafka.bootstrapServers());
        ArchiverConfig config = new ArchiverConfig("repl-one", Duration.ofMillis(200), List.of(westSettings()), 1, null, null, null);
        try (ArchiverService archiver = ArchiverService.start(config, settings(east), "it", kafkaProps)) {
            produce(2, 0);
            await().atMost(Duration.ofSeconds(60)).until(() -> segmentsOn(west) == 2 && committed("repl-one") == 2);
            west.close();
            produce(5, 100);
            await().atMost(Duration.ofSeconds(60)).until(() -> committed("repl-one") == 7);
            assertThat(archiver.targetMisses()).isPositive();
            west = EmbeddedS3.start(dir.resolve("west"), false, westPort);
            produce(1, 1000);
            await().atMost(Duration.ofSeconds(60)).until(() -> committed("repl-one") == 8);
        }
        assertThat(segmentsOn(west)).as("missed while down").isEqualTo(3);

        List<Integer> progress = new ArrayList<>();
        ArchiveRepair.Result result;
        try (ArchiveTarget a = ArchiveTarget.of(settings(east)); ArchiveTarget b = ArchiveTarget.of(westSettings())) {
            result = ArchiveRepair.run(List.of(a, b), "it/", (done, all) -> progress.add(done));
        }
        assertThat(result.conflicts()).isEmpty();
        assertThat(result.copied().get(BUCKET + "@http://127.0.0.1:" + westPort)).isGreaterThanOrEqualTo(5);
        assertThat(progress).isNotEmpty().endsWith(result.objects());
        assertIdentical(objects(east), objects(west));
        assertThat(segmentsOn(west)).isEqualTo(8);

        try (ArchiveTarget a = ArchiveTarget.of(settings(east)); ArchiveTarget b = ArchiveTarget.of(westSettings())) {
            assertThat(ArchiveRepair.run(List.of(a, b), "it/", (done, all) -> { }).totalCopied()).as("converged").isZero();
        }
    }
}
