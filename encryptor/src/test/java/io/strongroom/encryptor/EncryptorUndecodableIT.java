package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static io.strongroom.encryptor.ChangeEventV3.asV3;
import static io.strongroom.encryptor.ChangeEventV3.v3Decoder;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling upgrade on a real broker: a newer ingest writes ChangeEvent v3 (v2 plus a field) to an encryptor that
 * knows only v2. Nothing is lost: a record whose tenant the key names is sealed as it came into a quarantine segment
 * under that tenant's key; one whose key names no tenant stops the encryptor with its offset uncommitted, and a newer
 * encryptor (one that decodes v3) then seals it normally.
 */
class EncryptorUndecodableIT {
    private static final AvroSerde<DeadLetterPayload> PAYLOADS = AvroSerde.of(DeadLetterPayload.class);
    private static final String APP = "undecodable-it";
    static EmbeddedKafka kafka;
    @TempDir static Path kmsDir;
    @TempDir static Path stateDir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(1, Topics.CHANGES.name(), Topics.SEGMENTS.name(), Topics.KEYS.name());
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static ChangeEvent event(String tenant, int offset) {
        return ChangeEvent.newBuilder().setEventId("cdc.x/0/" + offset).setTenant(tenant).setTable("public.t").setOp(Op.CREATE)
                .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + offset + "}")
                .setAfter("{\"id\":" + offset + "}").setEventTimeMs(5_000L + offset)
                .setSource(new SourcePosition("cdc.x", 0, (long) offset, 1L)).build();
    }

    /** One segment's events as a v3-aware reader sees them; a quarantine segment's record is unwrapped first. */
    private record Sealed(String stream, String tenant, long firstOffset, List<ChangeEvent> events, List<DeadLetterPayload> payloads) {}

    private static List<Sealed> sealed(Map<String, Object> props, Kms kms) {
        List<Sealed> out = new ArrayList<>();
        SegmentOpener opener = new SegmentOpener(kms, Duration.ofSeconds(5));
        Deserializer<ChangeEvent> v3 = v3Decoder();
        TopicReader.readToEnd(props, Topics.SEGMENTS, r -> {
            var h = Segment.parse("segments", r.value()).header();
            List<ChangeEvent> events = new ArrayList<>();
            List<DeadLetterPayload> payloads = new ArrayList<>();
            for (byte[] b : opener.open("segments", r.value())) {
                if (Segment.QUARANTINE_STREAM.equals(h.getStream())) {
                    DeadLetterPayload p = PAYLOADS.decode("quarantine segment", b);
                    payloads.add(p);
                    events.add(v3.deserialize("t", bytes(p.getValue())));
                } else {
                    events.add(v3.deserialize("t", b));
                }
            }
            out.add(new Sealed(h.getStream(), h.getTenant(), h.getFirstOffset(), events, payloads));
        });
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static double undecodable(SimpleMeterRegistry registry, String outcome) {
        Counter c = registry.find("strongroom.encryptor.undecodable").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void anUndecodableEventIsNeverLost() throws Exception {
        Map<String, Object> props = Map.of("bootstrap.servers", kafka.bootstrapServers());
        ManagedKms kms = TestKms.local(kmsDir, true);
        ChangeEvent e0 = event("acme", 0);
        ChangeEvent e1 = event("acme", 1); // written as v3
        ChangeEvent e2 = event("acme", 2);
        ChangeEvent e3 = event("acme", 3); // written as v3, under a key that names no tenant
        ChangeEvent e4 = event("acme", 4);
        byte[] e1v3 = asV3(e1);
        EncryptorConfig config = new EncryptorConfig(APP, 100, null, Duration.ofSeconds(1), Duration.ofSeconds(5));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            var v2 = Topics.CHANGES.valueSerde().serializer();
            producer.send(new ProducerRecord<>(Topics.CHANGES.name(), 0, "acme/public.t/0", v2.serialize("t", e0))).get();
            ProducerRecord<String, byte[]> quarantined = new ProducerRecord<>(Topics.CHANGES.name(), 0, "acme/public.t/1", e1v3);
            quarantined.headers().add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
            producer.send(quarantined).get();
            producer.send(new ProducerRecord<>(Topics.CHANGES.name(), 0, "acme/public.t/2", v2.serialize("t", e2))).get();

            SimpleMeterRegistry oldRegistry = new SimpleMeterRegistry();
            try (EncryptorService old = EncryptorService.start(config, "test", kms, TestTenantKeys.asking(kms), props, stateDir, oldRegistry)) {
                // the v3 record the old encryptor cannot decode is sealed as it came, under acme's key
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(sealed(props, kms))
                        .as("event %s (offset 1, ChangeEvent v3) in a quarantine segment of acme", e1.getEventId())
                        .anySatisfy(s -> {
                            assertThat(s.stream()).isEqualTo(Segment.QUARANTINE_STREAM);
                            assertThat(s.tenant()).isEqualTo("acme");
                            assertThat(s.firstOffset()).isEqualTo(1);
                            assertThat(bytes(s.payloads().get(0).getValue())).as("the value, byte for byte").isEqualTo(e1v3);
                            assertThat(new String(bytes(s.payloads().get(0).getKey()), StandardCharsets.UTF_8)).isEqualTo("acme/public.t/1");
                            assertThat(s.payloads().get(0).getHeaders()).extracting(h -> h.getKey()).containsExactly("trace");
                        }));
                assertThat(undecodable(oldRegistry, "quarantined")).isEqualTo(1);

                // a v3 record whose key names no tenant: the old encryptor stops there, its offset not committed
                producer.send(new ProducerRecord<>(Topics.CHANGES.name(), 0, null, asV3(e3))).get();
                producer.send(new ProducerRecord<>(Topics.CHANGES.name(), 0, "acme/public.t/4", v2.serialize("t", e4))).get();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(old.state())
                        .as("the old encryptor stops at the undecodable record without a tenant").isEqualTo(KafkaStreams.State.ERROR));
                assertThat(old.failure()).isPresent();
                assertThat(old.failure().get()).rootCause().hasMessageContaining(Topics.CHANGES.name() + "/0 offset 3");
                assertThat(undecodable(oldRegistry, "stopped")).isPositive();
            }
            try (Admin admin = kafka.admin()) {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get()
                        .get(new TopicPartition(Topics.CHANGES.name(), 0));
                assertThat(committed == null ? 0 : committed.offset()).as("offset 3 is not committed").isLessThanOrEqualTo(3);
            }
        }

        // the upgrade: an encryptor that decodes v3 resumes from the committed offset and seals the rest normally
        try (EncryptorService upgraded = EncryptorService.start(config, "test", kms, TestTenantKeys.asking(kms), props, stateDir, new SimpleMeterRegistry(),
                v3Decoder())) {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(sealed(props, kms).stream()
                    .flatMap(s -> s.events().stream()).map(ChangeEvent::getEventId))
                    .as("every event once, in offset order (the quarantine segment between its neighbours)")
                    .containsExactly(e0.getEventId(), e1.getEventId(), e2.getEventId(), e3.getEventId(), e4.getEventId()));
            List<Sealed> segments = sealed(props, kms);
            assertThat(segments).filteredOn(s -> s.stream().equals(Topics.CHANGES.name()))
                    .flatExtracting(Sealed::events).extracting(ChangeEvent::getEventId)
                    .as("the v3 record without a tenant in the key, sealed normally after the upgrade").contains(e3.getEventId());
            assertThat(segments).filteredOn(s -> s.stream().equals(Segment.QUARANTINE_STREAM)).hasSize(1);
        }
    }
}
