package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.ResilientKms;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.FlakyKms;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A KMS outage on a real broker: the encryptor fails closed, stays up, and resumes without loss or duplicates. */
class EncryptorKmsOutageIT {
    static EmbeddedKafka kafka;
    @TempDir static Path kmsDir;
    @TempDir static Path stateDir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(2, Topics.CHANGES.name(), Topics.SEGMENTS.name());
        kafka.createTopics(1, Topics.KEYS.name());
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void noSegmentWithoutAWrappedKeyWhileTheKmsIsDownAndNothingLostAfterItReturns() {
        Map<String, Object> props = Map.of("bootstrap.servers", kafka.bootstrapServers());
        ManagedKms local = TestKms.local(kmsDir, true);
        FlakyKms flaky = FlakyKms.wrap(local);
        flaky.goDown();
        List<String> produced = new ArrayList<>();
        try (KafkaProducer<String, ChangeEvent> producer = new KafkaProducer<>(props, Topics.CHANGES.keySerde().serializer(),
                Topics.CHANGES.valueSerde().serializer())) {
            for (int i = 0; i < 300; i++) {
                String tenant = List.of("acme", "globex", "initech").get(i % 3);
                ChangeEvent e = ChangeEvent.newBuilder().setEventId("src/0/" + i).setTenant(tenant).setTable("public.t")
                        .setOp(Op.CREATE).setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + i + "}")
                        .setAfter("{\"id\":" + i + "}").setSource(new SourcePosition("src", 0, (long) i, (long) i)).build();
                producer.send(new ProducerRecord<>(Topics.CHANGES.name(), tenant + "/" + i, e));
                produced.add(e.getEventId());
            }
        }
        EncryptorConfig config = new EncryptorConfig("outage-it", 50, null, Duration.ofSeconds(1), Duration.ofSeconds(5));
        try (EncryptorService service = EncryptorService.start(config, "test",
                ResilientKms.wrap(flaky.kms(), Duration.ofMillis(20), Duration.ofMillis(200), 1000), props, stateDir)) {
            // down: it keeps retrying (the stream thread waits, fail closed), stays alive, and seals nothing
            await().atMost(Duration.ofSeconds(60)).until(() -> flaky.calls("generateDek") >= 4);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> segments(props).isEmpty() && service.state() != KafkaStreams.State.ERROR
                            && !service.state().hasCompletedShutdown());

            flaky.comeBack();
            await().atMost(Duration.ofSeconds(90)).until(() -> events(props, local).size() >= 300);
            List<String> restored = events(props, local);
            assertThat(restored).hasSize(300).doesNotHaveDuplicates();
            assertThat(Set.copyOf(restored)).isEqualTo(Set.copyOf(produced));
            assertThat(segments(props)).allSatisfy(h -> {
                assertThat(h.getWrappedDek().remaining()).isPositive();
                assertThat(h.getKeyVersion()).isEqualTo("1");
            });
        }
    }

    private static List<SegmentHeader> segments(Map<String, Object> props) {
        List<SegmentHeader> headers = new ArrayList<>();
        TopicReader.readToEnd(props, Topics.SEGMENTS, r -> headers.add(Segment.parse("segments", r.value()).header()));
        return headers;
    }

    private static List<String> events(Map<String, Object> props, Kms kms) {
        List<String> ids = new ArrayList<>();
        Map<String, Object> p = new HashMap<>(props);
        SegmentOpener opener = new SegmentOpener(kms, Duration.ofSeconds(5));
        TopicReader.readToEnd(p, Topics.SEGMENTS, r -> opener.open("segments", r.value()).forEach(b ->
                ids.add(Topics.CHANGES.valueSerde().deserializer().deserialize("t", b).getEventId())));
        return ids.stream().collect(Collectors.toList());
    }
}
