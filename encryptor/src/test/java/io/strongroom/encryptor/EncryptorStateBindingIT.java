package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.OpenSegment;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.encryptor.internal.EncryptorTopology;
import io.strongroom.encryptor.internal.InputAnchor;
import io.strongroom.encryptor.internal.SegmentProcessor;
import io.strongroom.encryptor.internal.StateRoot;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topic;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.FlakyKms;
import io.strongroom.testkit.TestKms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacker who can write the encryptor's changelog topics, on a real broker: rows of one tenant's buffered
 * (held) stream moved under another tenant, a buffered record removed, the open-segment record's count edited or
 * put back to an earlier version (with or without the state root of that time). The encryptor restores its state
 * from the changelog into a fresh state directory and must refuse each: stop with an error naming what is wrong,
 * count it, and seal nothing with the wrong content. (Changes to the open-segment and chain stores are caught by
 * the state root first, at task start; the per-record binding behind it is tested in StateBindingTest.)
 */
class EncryptorStateBindingIT {
    private static final AvroSerde<OpenSegment> OPEN = AvroSerde.of(OpenSegment.class);
    EmbeddedKafka kafka;
    Map<String, Object> props;
    @TempDir Path kmsDir;
    @TempDir Path stateDir;

    @BeforeEach
    void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(1, Topics.CHANGES.name(), Topics.SEGMENTS.name(), Topics.KEYS.name());
        props = Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    @AfterEach
    void stop() {
        kafka.close();
    }

    private static ChangeEvent event(String tenant, int offset) {
        return ChangeEvent.newBuilder().setEventId("cdc.x/0/" + offset).setTenant(tenant).setTable("public.t").setOp(Op.CREATE)
                .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + offset + "}")
                .setAfter("{\"id\":" + offset + "}").setEventTimeMs(5_000L + offset)
                .setSource(new SourcePosition("cdc.x", 0, (long) offset, 1L)).build();
    }

    private void produce(ChangeEvent... events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (ChangeEvent e : events) {
                producer.send(new ProducerRecord<>(Topics.CHANGES.name(), 0, e.getTenant() + "/public.t/" + e.getKey(),
                        Topics.CHANGES.valueSerde().serializer().serialize("t", e))).get();
            }
        }
    }

    /** The latest value of every key of a changelog topic (compaction's view; tombstones remove). */
    private Map<String, byte[]> changelog(String app, String store) {
        Map<String, byte[]> latest = new LinkedHashMap<>();
        TopicReader.readToEnd(props, new Topic<>(app + "-" + store + "-changelog", Serdes.String(), Serdes.ByteArray()), r -> {
            if (r.value() == null) {
                latest.remove(r.key());
            } else {
                latest.put(r.key(), r.value());
            }
        });
        return latest;
    }

    /** The attacker: writes straight to a changelog topic (null value: a tombstone). */
    private void write(String app, String store, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(app + "-" + store + "-changelog", 0, key, value)).get();
        }
    }

    private record Sealed(String key, String tenant, List<String> eventIds) {}

    private List<Sealed> sealed(Kms kms) {
        List<Sealed> out = new ArrayList<>();
        SegmentOpener opener = new SegmentOpener(kms, Duration.ofSeconds(5));
        TopicReader.readToEnd(props, Topics.SEGMENTS, r -> out.add(new Sealed(r.key(), Segment.parse("s", r.value()).header().getTenant(),
                opener.open("s", r.value()).stream()
                        .map(b -> Topics.CHANGES.valueSerde().deserializer().deserialize("t", b).getEventId()).toList())));
        return out;
    }

    private static double refused(SimpleMeterRegistry registry) {
        Counter c = registry.find("strongroom.encryptor.state.refused").counter();
        return c == null ? 0 : c.count();
    }

    /** Waits until the encryptor has stopped or sealed something, then checks it refused the state and sealed nothing. */
    private void assertRefused(EncryptorService service, SimpleMeterRegistry registry, Kms kms, String... mentions) {
        await().atMost(Duration.ofSeconds(90)).until(() -> service.state() == KafkaStreams.State.ERROR || !sealed(kms).isEmpty());
        assertThat(sealed(kms)).as("no segment is sealed from the manipulated state").isEmpty();
        assertThat(service.state()).isEqualTo(KafkaStreams.State.ERROR);
        assertThat(service.failure()).isPresent();
        assertThat(service.failure().get()).rootCause().hasMessageContainingAll(mentions);
        assertThat(refused(registry)).isEqualTo(1);
    }

    @Test
    void bufferedRowsMovedToAnotherTenantAreRefused() throws Exception {
        String app = "moved-it";
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(kmsDir, true));
        flaky.deny("local://acme"); // acme's records are held, buffered under the quarantine key
        EncryptorConfig config = new EncryptorConfig(app, 2, null, Duration.ofSeconds(1), Duration.ofSeconds(5));
        produce(event("acme", 0), event("acme", 1));
        try (EncryptorService first = EncryptorService.start(config, "test", flaky.kms(), props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                byte[] held = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0" + SegmentProcessor.HELD_SUFFIX);
                return held != null && OPEN.decode("t", held).getRecordCount() == 2;
            });
        }
        byte[] held = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0" + SegmentProcessor.HELD_SUFFIX);
        write(app, EncryptorTopology.OPEN_STORE, "acme/0" + SegmentProcessor.HELD_SUFFIX, null);
        write(app, EncryptorTopology.OPEN_STORE, "globex/0" + SegmentProcessor.HELD_SUFFIX, held);

        flaky.allow("local://acme");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", flaky.kms(), props, stateDir.resolve("2"), registry)) {
            assertRefused(second, registry, flaky.kms(), "strongroom.changes/0", "not the state its root records", "refused");
        }
    }

    @Test
    void aTruncatedBufferedSegmentIsRefused() throws Exception {
        String app = "truncated-it";
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(kmsDir, true));
        flaky.deny("local://acme");
        EncryptorConfig config = new EncryptorConfig(app, 100, null, Duration.ofSeconds(1), Duration.ofSeconds(5));
        produce(event("acme", 0), event("acme", 1), event("acme", 2));
        try (EncryptorService first = EncryptorService.start(config, "test", flaky.kms(), props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                byte[] held = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0" + SegmentProcessor.HELD_SUFFIX);
                return held != null && OPEN.decode("t", held).getRecordCount() == 3;
            });
        }
        OpenSegment held = OPEN.decode("t", changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0" + SegmentProcessor.HELD_SUFFIX));
        String removed = SegmentProcessor.recordKey(held.getSegmentId(), 1);
        assertThat(changelog(app, EncryptorTopology.RECORDS_STORE)).containsKey(removed);
        write(app, EncryptorTopology.RECORDS_STORE, removed, null); // the middle record of the held stream, gone

        flaky.allow("local://acme");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", flaky.kms(), props, stateDir.resolve("2"), registry)) {
            assertRefused(second, registry, flaky.kms(), held.getSegmentId(), "refused");
        }
    }

    @Test
    void anEditedOpenSegmentRecordIsRefused() throws Exception {
        String app = "edited-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 4, null, Duration.ofHours(1), Duration.ofSeconds(5));
        produce(event("acme", 0), event("acme", 1), event("acme", 2));
        try (EncryptorService first = EncryptorService.start(config, "test", kms, props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                byte[] open = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0");
                return open != null && OPEN.decode("t", open).getRecordCount() == 3;
            });
        }
        // the last buffered record removed and the count made to agree: a truncation no count check alone sees
        OpenSegment open = OPEN.decode("t", changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0"));
        write(app, EncryptorTopology.RECORDS_STORE, SegmentProcessor.recordKey(open.getSegmentId(), 2), null);
        open.setRecordCount(2);
        write(app, EncryptorTopology.OPEN_STORE, "acme/0", OPEN.encode(open));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", kms, props, stateDir.resolve("2"), registry)) {
            produce(event("acme", 3), event("acme", 4)); // fill the segment up to max-records: it would be sealed now
            assertRefused(second, registry, kms, "strongroom.changes/0", "not the state its root records", "refused");
        }
    }

    private static double keyFailures(SimpleMeterRegistry registry) {
        Counter c = registry.find("strongroom.encryptor.tenant.key.failures").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void anOpenSegmentMovedUnderAnotherTenantsKeyIsRefusedNotTakenForAKeyOutage() throws Exception {
        String app = "rekeyed-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 100, null, Duration.ofHours(1), Duration.ofSeconds(5));
        produce(event("globex", 0), event("acme", 1), event("acme", 2));
        try (EncryptorService first = EncryptorService.start(config, "test", kms, props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                byte[] open = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0");
                return open != null && OPEN.decode("t", open).getRecordCount() == 2;
            });
        }
        // acme's open segment put where globex's is, its tenant and key id made globex's: only the unwrap can tell
        OpenSegment open = OPEN.decode("t", changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0"));
        open.setTenant("globex");
        open.setKeyId(kms.keyIdFor("globex"));
        write(app, EncryptorTopology.OPEN_STORE, "acme/0", null);
        write(app, EncryptorTopology.OPEN_STORE, "globex/0", OPEN.encode(open));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EncryptorConfig sealSoon = new EncryptorConfig(app, 100, null, Duration.ofSeconds(1), Duration.ofSeconds(5));
        try (EncryptorService second = EncryptorService.start(sealSoon, "test", kms, props, stateDir.resolve("2"), registry)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> second.state() == KafkaStreams.State.ERROR
                    || keyFailures(registry) > 0 || !sealed(kms).isEmpty());
            assertThat(keyFailures(registry)).as("not taken for globex's key being unavailable").isZero();
            assertRefused(second, registry, kms, "strongroom.changes/0", "not the state its root records", "refused");
        }
    }

    /** Every value key {@code key} had in a changelog topic, oldest first (what the attacker can replay). */
    private List<byte[]> history(String app, String store, String key) {
        List<byte[]> values = new ArrayList<>();
        TopicReader.readToEnd(props, new Topic<>(app + "-" + store + "-changelog", Serdes.String(), Serdes.ByteArray()), r -> {
            if (key.equals(r.key()) && r.value() != null) {
                values.add(r.value());
            }
        });
        return values;
    }

    /** Three events of acme buffered (max-records 4, no age seal), then the encryptor stopped. */
    private void bufferThree(String app, Kms kms, EncryptorConfig config) throws Exception {
        produce(event("acme", 0), event("acme", 1), event("acme", 2));
        try (EncryptorService first = EncryptorService.start(config, "test", kms, props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                byte[] open = changelog(app, EncryptorTopology.OPEN_STORE).get("acme/0");
                return open != null && OPEN.decode("t", open).getRecordCount() == 3;
            });
        }
    }

    @Test
    void aRolledBackOpenSegmentRecordIsRefused() throws Exception {
        String app = "rollback-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 4, null, Duration.ofHours(1), Duration.ofSeconds(5));
        bufferThree(app, kms, config);
        // the attacker replays the open record as the encryptor itself wrote it at count 2, and drops record 2
        byte[] atTwo = history(app, EncryptorTopology.OPEN_STORE, "acme/0").stream()
                .filter(v -> OPEN.decode("t", v).getRecordCount() == 2).findFirst().orElseThrow();
        OpenSegment open = OPEN.decode("t", atTwo);
        write(app, EncryptorTopology.RECORDS_STORE, SegmentProcessor.recordKey(open.getSegmentId(), 2), null);
        write(app, EncryptorTopology.OPEN_STORE, "acme/0", atTwo);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", kms, props, stateDir.resolve("2"), registry)) {
            produce(event("acme", 3), event("acme", 4)); // max-records: without the check, [0,1,3,4] would be sealed
            assertRefused(second, registry, kms, "strongroom.changes/0", "not the state its root records", "refused");
        }
    }

    @Test
    void aStateRolledBackWithItsRootIsRefused() throws Exception {
        String app = "rollback-root-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 4, null, Duration.ofHours(1), Duration.ofSeconds(5));
        bufferThree(app, kms, config);
        // the whole state put back as it was after offset 1: the open record at count 2 and the root written with it
        List<byte[]> roots = history(app, EncryptorTopology.ROOT_STORE, StateRoot.KEY);
        assertThat(roots).as("a root per processed record").hasSizeGreaterThanOrEqualTo(3);
        byte[] atTwo = history(app, EncryptorTopology.OPEN_STORE, "acme/0").stream()
                .filter(v -> OPEN.decode("t", v).getRecordCount() == 2).findFirst().orElseThrow();
        OpenSegment open = OPEN.decode("t", atTwo);
        write(app, EncryptorTopology.RECORDS_STORE, SegmentProcessor.recordKey(open.getSegmentId(), 2), null);
        write(app, EncryptorTopology.OPEN_STORE, "acme/0", atTwo);
        write(app, EncryptorTopology.ROOT_STORE, StateRoot.KEY, roots.get(1));

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", kms, props, stateDir.resolve("2"), registry)) {
            produce(event("acme", 3), event("acme", 4));
            assertRefused(second, registry, kms, "strongroom.changes/0", "offset 2", "rolled back");
        }
    }

    @Test
    void aRemovedChainEntryIsRefused() throws Exception {
        String app = "chain-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 2, null, Duration.ofHours(1), Duration.ofSeconds(5));
        produce(event("acme", 0), event("acme", 1), event("acme", 2)); // one segment sealed, one open
        try (EncryptorService first = EncryptorService.start(config, "test", kms, props, stateDir.resolve("1"),
                new SimpleMeterRegistry())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> changelog(app, EncryptorTopology.OPEN_STORE).containsKey("acme/0")
                    && changelog(app, EncryptorTopology.CHAIN_STORE).containsKey("acme/0"));
        }
        // without its chain entry the next segment would name no predecessor: the chain silently restarted
        write(app, EncryptorTopology.CHAIN_STORE, "acme/0", null);
        List<Sealed> before = sealed(kms);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", kms, props, stateDir.resolve("2"), registry)) {
            produce(event("acme", 3));
            await().atMost(Duration.ofSeconds(90)).until(() -> second.state() == KafkaStreams.State.ERROR
                    || sealed(kms).size() > before.size());
            assertThat(sealed(kms)).as("nothing sealed after the chain was cut").hasSameSizeAs(before);
            assertThat(second.failure()).isPresent();
            assertThat(second.failure().get()).rootCause().hasMessageContainingAll("not the state its root records", "refused");
            assertThat(refused(registry)).isEqualTo(1);
        }
    }

    @Test
    void aStateKafkaCannotCheckYetIsRetriedNotRefusedAndNothingIsLost() throws Exception {
        // a broker restarting while a task starts: the committed offset cannot be read for a while (seen in the fault
        // run: the encryptor shut down on it, and sat there with 98,846 records behind)
        String app = "anchor-down-it";
        ManagedKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig(app, 4, null, Duration.ofHours(1), Duration.ofSeconds(5));
        bufferThree(app, kms, config);
        AtomicInteger asked = new AtomicInteger();
        UnaryOperator<InputAnchor> down = real -> new InputAnchor() {
            @Override
            public Long committed(int partition) {
                if (asked.incrementAndGet() <= 2) {
                    throw new UnavailableException("cannot read the committed offset of strongroom.changes-" + partition
                            + ": org.apache.kafka.common.errors.TimeoutException: timed out", null);
                }
                return real.committed(partition);
            }

            @Override
            public long firstRecord(int partition, long from, long to) {
                return real.firstRecord(partition, from, to);
            }
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EncryptorService second = EncryptorService.start(config, "test", kms, TestTenantKeys.asking(kms), props, stateDir.resolve("2"), registry,
                Topics.CHANGES.valueSerde().deserializer(), down)) {
            produce(event("acme", 3)); // the fourth record: max-records seals the segment
            // the stream thread that failed ends (and is replaced): an expected failure, not the test's
            await("the buffered segment sealed once Kafka answers").dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120))
                    .until(() -> !sealed(kms).isEmpty());
            assertThat(sealed(kms)).singleElement().extracting(Sealed::eventIds).asList()
                    .containsExactly("cdc.x/0/0", "cdc.x/0/1", "cdc.x/0/2", "cdc.x/0/3");
            assertThat(asked).as("asked again after each failure").hasValueGreaterThanOrEqualTo(3);
            assertThat(second.failure()).get().extracting(Throwable::getCause).isInstanceOf(InputAnchor.UnavailableException.class);
            assertThat(second.state()).isNotEqualTo(KafkaStreams.State.ERROR);
            assertThat(refused(registry)).as("neither refused").isZero();
        }
    }
}
