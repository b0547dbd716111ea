package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.cli.demo.Pipeline;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.RotationPolicy;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.CdcRecord;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Scheduled rotation while events flow: every rotation is honoured at once, and a restore spans them all. */
class RotationScheduleIT {

    @Test
    void rotationsOnAScheduleOfSecondsWhileEventsFlowAndARestoreAcrossThreeRotations() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-rotation-it-");
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            StrongroomConfig config = sandbox.config();
            CdcGenerator generator = new CdcGenerator(CdcGenerator.Options.of(3000, "acme"));
            sandbox.kafka().createTopics(3, generator.topics().toArray(String[]::new));
            List<CdcRecord> records = generator.generate();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger sent = new AtomicInteger();
            try (ManagedKms encryptorKms = KmsFactory.create(config, "encryptor"); ManagedKms ingestKms = KmsFactory.create(config, "ingest");
                    ManagedKms coordinatorKms = KmsFactory.create(config, "coordinator");
                    Pipeline pipeline = Pipeline.start(config, encryptorKms, ingestKms);
                    var keys = new KafkaProducer<>(config.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(),
                            Topics.KEYS.valueSerde().serializer())) {
                KeyRotator rotator = new KeyRotator(coordinatorKms, new KeyPublisher(coordinatorKms, keys, config.kms().timeout(),
                        "coordinator"), config.kms().timeout(), t -> new RotationPolicy(Duration.ofSeconds(3), null, null),
                        Clock.systemUTC(), new SimpleMeterRegistry());
                rotator.runOnce(List.of("acme"));
                scheduler.scheduleWithFixedDelay(() -> {
                    try {
                        rotator.runOnce(List.of("acme"));
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }, 500, 500, TimeUnit.MILLISECONDS);
                // events keep flowing across the rotations: 40 every 200 ms, about 15 s
                scheduler.scheduleWithFixedDelay(() -> {
                    int from = sent.get();
                    if (from < records.size()) {
                        int to = Math.min(records.size(), from + 40);
                        try {
                            CdcProducer.produce(config.kafka().bootstrapServers(), records.subList(from, to));
                        } catch (RuntimeException e) {
                            failure.compareAndSet(null, e);
                        }
                        sent.set(to);
                    }
                }, 0, 200, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(90)).until(() -> failure.get() != null || sent.get() == records.size()
                        && Integer.parseInt(rotator.status().get("acme").primaryVersion()) >= 4);
                assertThat(failure.get()).isNull();
                scheduler.shutdownNow();
                assertThat(scheduler.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
                await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.archiver().recordsArchived() >= records.size());
            }

            List<SegmentHeader> segments = new ArrayList<>();
            try (S3Client s3 = config.s3().client()) {
                for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents()) {
                    if (o.key().endsWith(".srseg")) {
                        segments.add(Segment.parse(o.key(), s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(o.key()))
                                .asByteArray()).header());
                    }
                }
            }
            assertThat(segments.stream().map(SegmentHeader::getKeyVersion).distinct()).as("spans three rotations")
                    .hasSizeGreaterThanOrEqualTo(3);
            // Per partition, in chain order, a segment never goes back to an older version.
            Map<Integer, List<SegmentHeader>> byPartition = new TreeMap<>();
            segments.forEach(h -> byPartition.computeIfAbsent(h.getSourcePartition(), p -> new ArrayList<>()).add(h));
            for (List<SegmentHeader> chain : byPartition.values()) {
                chain.sort(Comparator.comparingLong(SegmentHeader::getFirstOffset));
                for (int i = 1; i < chain.size(); i++) {
                    assertThat(Integer.parseInt(chain.get(i).getKeyVersion()))
                            .as("partition %d segment %d", chain.get(i).getSourcePartition(), i)
                            .isGreaterThanOrEqualTo(Integer.parseInt(chain.get(i - 1).getKeyVersion()));
                }
            }
            // A segment under version v is sealed soon after v+1 exists: opened before the rotation, closed by it.
            List<KeyVersion> versions;
            try (ManagedKms kms = KmsFactory.create(config, "test")) {
                versions = Kmses.await(kms.describe("local://acme"), Duration.ofSeconds(10));
            }
            for (SegmentHeader h : segments) {
                int v = Integer.parseInt(h.getKeyVersion());
                versions.stream().filter(k -> Integer.parseInt(k.version()) == v + 1).findFirst().ifPresent(next ->
                        assertThat(h.getSealedAtMs()).as("segment %s under version %d", h.getSegmentId(), v)
                                .isLessThanOrEqualTo(next.createdAt().toEpochMilli() + 5_000));
            }

            Path out = dir.resolve("acme.jsonl");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", sandbox.configFile().toString(), "--tenant", "acme",
                    "--to-target", "jsonl:" + out);
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(Files.readAllLines(out)).hasSize(records.size());
        } finally {
            scheduler.shutdownNow();
            Dirs.deleteRecursively(dir);
        }
    }
}
