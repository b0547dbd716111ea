package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encryptor on a real broker: two instances sharing the work, one killed hard and restarted;
 * and a key rotation published on {@code strongroom.keys} taking effect for one tenant only.
 */
class EncryptorClusterIT {
    private static final Duration T = Duration.ofSeconds(10);
    static EmbeddedKafka kafka;
    @TempDir Path dir;
    private final SimpleMeterRegistry registry =
            new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        kafka = EmbeddedKafka.start(); // a broker per test: each test reads whole topics
    }

    @AfterEach
    void stop() {
        kafka.close();
    }

    private static Map<String, Object> props() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private static ChangeEvent event(String changesTopic, String tenant, int i) {
        return ChangeEvent.newBuilder().setEventId(changesTopic + "/" + tenant + "/" + i).setTenant(tenant).setTable("public.t")
                .setOp(Op.CREATE).setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + i + "}")
                .setAfter("{\"id\":" + i + ",\"pad\":\"" + "x".repeat(200) + "\"}")
                .setSource(new SourcePosition("src", 0, (long) i, (long) i)).build();
    }

    /** Produces {@code events}, each to the given partition (-1: by key). */
    private static void produce(List<ChangeEvent> events, int partition) {
        try (KafkaProducer<String, ChangeEvent> producer = new KafkaProducer<>(props(), Topics.CHANGES.keySerde().serializer(),
                Topics.CHANGES.valueSerde().serializer())) {
            for (ChangeEvent e : events) {
                String key = e.getTenant() + "/" + e.getKey();
                producer.send(partition < 0 ? new ProducerRecord<>(Topics.CHANGES.name(), key, e)
                        : new ProducerRecord<>(Topics.CHANGES.name(), partition, key, e));
            }
        }
    }

    private static List<SegmentHeader> headers() {
        List<SegmentHeader> out = new ArrayList<>();
        TopicReader.readToEnd(props(), Topics.SEGMENTS, r -> out.add(Segment.parse("segments", r.value()).header()));
        return out;
    }

    /** Every event id in every committed segment, decrypted: what a restore would return. */
    private static List<String> restored(Kms kms) {
        List<String> ids = new ArrayList<>();
        SegmentOpener opener = new SegmentOpener(kms, T);
        TopicReader.readToEnd(props(), Topics.SEGMENTS, r -> opener.open("segments " + r.partition() + "/" + r.offset(), r.value())
                .forEach(b -> ids.add(Topics.CHANGES.valueSerde().deserializer().deserialize("t", b).getEventId())));
        return ids;
    }

    private Process encryptorProcess(String name, Path kmsDir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                EncryptorProcess.class.getName(), kafka.bootstrapServers(), dir.resolve("state-" + name).toString(),
                kmsDir.toString(), "cluster-it")
                .redirectErrorStream(true).redirectOutput(Path.of("target", "encryptor-" + name + ".log").toFile()).start();
    }

    @Test
    void twoInstancesOneKilledHardAndRestartedEveryEventIsInExactlyOneSegment() throws Exception {
        kafka.createTopics(4, Topics.CHANGES.name(), Topics.SEGMENTS.name());
        kafka.createTopics(1, Topics.KEYS.name());
        Path kmsDir = dir.resolve("kms-cluster");
        ManagedKms kms = TestKms.local(kmsDir, true);
        List<String> tenants = List.of("acme", "globex", "initech", "umbrella", "hooli");
        tenants.forEach(t -> Kmses.await(kms.createKek(t), T));
        List<ChangeEvent> first = new ArrayList<>();
        List<ChangeEvent> second = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            (i < 8_000 ? first : second).add(event("c", tenants.get(i % tenants.size()), i));
        }
        produce(first, -1);

        Process a = encryptorProcess("a", kmsDir);
        Process b = encryptorProcess("b", kmsDir);
        Process restarted = null;
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> headers().size() >= 10);
            a.destroyForcibly(); // SIGKILL mid-run: open transactions and open segments left behind
            assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
            int beforeRestart = restored(kms).size();
            produce(second, -1);
            restarted = encryptorProcess("a", kmsDir); // same state directory, as a restarted node
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> restored(kms).size() >= 12_000);
            assertThat(beforeRestart).as("killed mid-run").isLessThan(12_000);
        } finally {
            b.destroyForcibly();
            if (restarted != null) {
                restarted.destroyForcibly();
            }
        }
        List<String> ids = restored(kms);
        Map<String, Integer> seen = new HashMap<>();
        ids.forEach(id -> seen.merge(id, 1, Integer::sum));
        Set<String> expected = new HashSet<>();
        first.forEach(e -> expected.add(e.getEventId()));
        second.forEach(e -> expected.add(e.getEventId()));
        assertThat(seen.entrySet()).as("no duplicates").allMatch(en -> en.getValue() == 1);
        assertThat(seen.keySet()).as("no gaps").isEqualTo(expected);
        assertThat(headers()).extracting(SegmentHeader::getSourcePartition).as("both instances' partitions").containsAll(List.of(0, 1, 2, 3));
    }

    @Test
    void afterAKeyVersionEventMakesV2PrimaryForOneTenantNoSegmentOfItUsesV1AnyMoreAndTheOtherIsUnaffected() throws Exception {
        kafka.createTopics(4, Topics.CHANGES.name(), Topics.SEGMENTS.name());
        kafka.createTopics(1, Topics.KEYS.name());
        ManagedKms kms = TestKms.local(dir.resolve("kms-rotation"), true);
        String keyA = Kmses.await(kms.createKek("rota"), T);
        String keyB = Kmses.await(kms.createKek("rotb"), T);
        publish(kms, keyA, "rota");
        publish(kms, keyB, "rotb");

        EncryptorConfig config = new EncryptorConfig("rotation-it", 50, null, Duration.ofMinutes(10), T);
        try (EncryptorService service = EncryptorService.start(config, "test", kms, props(), dir.resolve("state-rotation"), registry)) {
            // exactly 50 per tenant and partition: full segments, sealed by size
            for (int p = 0; p < 4; p++) {
                produce(range("rota", p, 0, 50), p);
                produce(range("rotb", p, 0, 50), p);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> mine().size() == 8);
            produce(range("rota", 0, 50, 60), 0); // left open: the age limit is 10 minutes away
            await().atMost(Duration.ofSeconds(30)).until(() -> openSegmentsMetricAtLeast(1));

            Kmses.await(kms.rotate(keyA), T);
            publish(kms, keyA, "rota");
            await().atMost(Duration.ofSeconds(30)).until(() -> mine().size() == 9);
            SegmentHeader sealedByRotation = mine().get(8);
            assertThat(sealedByRotation.getTenant()).isEqualTo("rota");
            assertThat(sealedByRotation.getRecordCount()).as("sealed at once, not by age or size").isEqualTo(10);
            assertThat(sealedByRotation.getKeyVersion()).isEqualTo("1");

            for (int p = 0; p < 4; p++) {
                produce(range("rota", p, 100, 150), p);
                produce(range("rotb", p, 100, 150), p);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> mine().size() == 17);
        }
        List<SegmentHeader> all = mine();
        assertThat(all.subList(9, 17)).filteredOn(h -> h.getTenant().equals("rota")).hasSize(4)
                .allSatisfy(h -> assertThat(h.getKeyVersion()).isEqualTo("2"));
        assertThat(all).filteredOn(h -> h.getTenant().equals("rotb")).hasSize(8)
                .allSatisfy(h -> assertThat(h.getKeyVersion()).isEqualTo("1"))
                .allSatisfy(h -> assertThat(h.getRecordCount()).isEqualTo(50));
        assertThat(restored(kms).stream().filter(id -> id.startsWith("r/"))).hasSize(4 * 50 * 2 + 10 + 4 * 50 * 2).doesNotHaveDuplicates();
    }

    private static List<ChangeEvent> range(String tenant, int partition, int from, int to) {
        List<ChangeEvent> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(event("r", tenant, partition * 1000 + i));
        }
        return out;
    }

    private static List<SegmentHeader> mine() {
        List<SegmentHeader> out = new ArrayList<>();
        TopicReader.readToEnd(props(), Topics.SEGMENTS, r -> {
            SegmentHeader h = Segment.parse("segments", r.value()).header();
            if (h.getTenant().startsWith("rot")) {
                out.add(h);
            }
        });
        out.sort(Comparator.comparingLong(SegmentHeader::getSealedAtMs));
        return out;
    }

    private boolean openSegmentsMetricAtLeast(int n) {
        return registry.get("strongroom.encryptor.segments.open").gauge().value() >= n;
    }

    /** What the coordinator does: every version of the key with its state, on strongroom.keys. */
    private static void publish(ManagedKms kms, String keyId, String tenant) throws Exception {
        try (KafkaProducer<String, KeyVersionEvent> producer = new KafkaProducer<>(props(), Topics.KEYS.keySerde().serializer(),
                Topics.KEYS.valueSerde().serializer())) {
            for (KeyVersion v : Kmses.await(kms.describe(keyId), T)) {
                KeyState state = v.state() == io.strongroom.crypto.kms.KeyState.PRIMARY ? KeyState.PRIMARY : KeyState.DECRYPT_ONLY;
                producer.send(new ProducerRecord<>(Topics.KEYS.name(), keyId + "/" + v.version(), KeyVersionEvent.newBuilder()
                        .setKeyId(keyId).setTenant(tenant).setVersion(v.version()).setState(state).setAlgorithm("AES256_GCM")
                        .setCreatedAtMs(v.createdAt().toEpochMilli()).setChangedAtMs(v.changedAt().toEpochMilli())
                        .setActor("test").build())).get();
            }
        }
    }
}
