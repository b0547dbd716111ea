package io.strongroom.archiver;

import io.strongroom.archive.ArchiveLayout;

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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The archiver killed with SIGKILL after objects were written but before their offsets were committed. */
class ArchiverCrashIT {
    private static final String BUCKET = "crash";
    private static final String GROUP = "crash-it";
    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;
    @TempDir static Path dir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(2, Topics.SEGMENTS.name(), Topics.ARCHIVE_INDEX.name());
        s3 = EmbeddedS3.start();
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stop() {
        s3.close();
        kafka.close();
    }

    private static Set<String> segmentObjects() {
        Set<String> keys = new HashSet<>();
        try (S3Client client = s3.client()) {
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
                if (o.key().endsWith(ArchiveLayout.SEGMENT_SUFFIX)) {
                    keys.add(o.key());
                }
            }
        }
        return keys;
    }

    private static long committed() throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get().values().stream()
                    .filter(o -> o != null).mapToLong(o -> o.offset()).sum();
        }
    }

    private static Process archiver(int n) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), ArchiverProcess.class.getName(),
                kafka.bootstrapServers(), s3.endpoint().toString(), BUCKET, GROUP)
                .redirectErrorStream(true).redirectOutput(Path.of("target", "crash-archiver-" + n + ".log").toFile()).start();
    }

    @Test
    void killedBetweenPutAndCommitTheRestartedArchiverNeitherDuplicatesNorMissesASegment() throws Exception {
        LocalKms kms = TestKms.local(dir.resolve("kms"), true);
        Set<String> expected = new HashSet<>();
        int segments = 600;
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
                Topics.SEGMENTS.keySerde().serializer(), Topics.SEGMENTS.valueSerde().serializer())) {
            for (int i = 0; i < segments; i++) {
                byte[] s = TestSegments.seal(kms, i % 2, 10L * i, 10L * i + 9, "r" + i);
                expected.add(ArchiveLayout.segmentKey(Segment.parse("t", s).header()));
                producer.send(new ProducerRecord<>(Topics.SEGMENTS.name(), "acme/" + (i % 2), s));
            }
        }

        // Kill at moments when objects exist past the committed offsets: written, not yet committed.
        int kills = 0;
        boolean caughtBetween = false;
        List<String> observations = new ArrayList<>();
        for (int attempt = 1; attempt <= 6 && !caughtBetween && segmentObjects().size() < segments; attempt++) {
            Process p = archiver(attempt);
            long before = segmentObjects().size();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> segmentObjects().size() > before + 20);
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            kills++;
            long objects = segmentObjects().size();
            long commits = committed();
            observations.add(objects + " objects, " + commits + " committed");
            caughtBetween = objects > commits;
        }
        assertThat(caughtBetween).as("a kill landed between PUT and commit: %s", observations).isTrue();

        Process last = archiver(99);
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> committed() == segments);
        } finally {
            last.destroyForcibly();
            last.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(segmentObjects()).as("after %d kills", kills).isEqualTo(expected);
    }
}
