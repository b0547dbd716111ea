package io.strongroom.archiver;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.S3Settings;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.crypto.Segment;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import io.strongroom.testkit.TestSegments;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** S3 answering 503 SlowDown and 500 InternalError: retried with backoff, nothing lost, nothing written twice. */
class ArchiverFaultsIT {
    @TempDir Path dir;

    @Test
    void throttlingAndServerErrorsAreRetriedUntilEverySegmentIsArchivedOnce() throws Exception {
        EmbeddedS3.Faults faults = new EmbeddedS3.Faults();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), false, faults)) {
            kafka.createTopics(2, Topics.SEGMENTS.name(), Topics.ARCHIVE_INDEX.name());
            s3.createBucket("faults");
            LocalKms kms = TestKms.local(dir.resolve("kms"), true);
            Map<String, byte[]> expected = new HashMap<>();
            try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
                    Topics.SEGMENTS.keySerde().serializer(), Topics.SEGMENTS.valueSerde().serializer())) {
                for (int i = 0; i < 30; i++) {
                    byte[] s = TestSegments.seal(kms, i % 2, 10L * i, 10L * i + 9, "r" + i);
                    expected.put(ArchiveLayout.segmentKey(Segment.parse("t", s).header()), s);
                    producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), "acme/" + (i % 2), s));
                }
            }
            // more failures in a row than the SDK's own retries: the archiver's backoff has to carry it
            faults.failNextPuts(8, 503);
            faults.failNextPuts(6, 500);
            faults.failNextPuts(4, 503);
            S3Settings settings = new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, "faults", EmbeddedS3.ACCESS_KEY,
                    EmbeddedS3.SECRET_KEY, null);
            try (ArchiverService archiver = ArchiverService.start(ArchiverConfig.of("faults-it", Duration.ofMillis(500)), settings, "it",
                    Map.of("bootstrap.servers", kafka.bootstrapServers()));
                    Admin admin = kafka.admin()) {
                await().atMost(Duration.ofSeconds(90)).until(() -> admin.listConsumerGroupOffsets("faults-it")
                        .partitionsToOffsetAndMetadata().get().values().stream().filter(o -> o != null).mapToLong(o -> o.offset()).sum() == 30);
                assertThat(archiver.isRunning()).isTrue();
            }
            assertThat(faults.injected()).isEqualTo(18);
            Map<String, byte[]> stored = new HashMap<>();
            try (S3Client client = s3.client()) {
                for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket("faults")).contents()) {
                    if (o.key().endsWith(ArchiveLayout.SEGMENT_SUFFIX)) {
                        stored.put(o.key(), client.getObjectAsBytes(b -> b.bucket("faults").key(o.key())).asByteArray());
                    }
                }
            }
            assertThat(stored.keySet()).isEqualTo(expected.keySet());
            stored.forEach((k, v) -> assertThat(v).as(k).isEqualTo(expected.get(k)));
        }
    }
}
