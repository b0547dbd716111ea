package io.strongroom.encryptor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.encryptor.ChangeEventV3;
import io.strongroom.encryptor.EncryptorConfig;
import io.strongroom.encryptor.TestTenantKeys;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.FlakyKms;
import io.strongroom.testkit.TestKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptorTopologyTest {
    private static final String CANARY = "SR-CANARY-encryptor";
    private static final Duration T = Duration.ofSeconds(5);
    @TempDir Path kmsDir;
    @TempDir Path stateDir;
    private LocalKms kms;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> changes;
    private TestOutputTopic<String, byte[]> segments;
    private TestInputTopic<String, byte[]> keys;
    private final SimpleMeterRegistry registry =
            new SimpleMeterRegistry();
    private long offset;

    private void start(EncryptorConfig config, boolean autoCreateKeys) {
        kms = TestKms.local(kmsDir, autoCreateKeys);
        startWith(config, kms);
    }

    private FlakyKms startFlaky(EncryptorConfig config) {
        kms = TestKms.local(kmsDir, true);
        FlakyKms flaky = FlakyKms.wrap(kms);
        startWith(config, flaky.kms());
        return flaky;
    }

    private void startWith(EncryptorConfig config, ManagedKms sealingKms) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "encryptor-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(EncryptorTopology.topology(config, "test", sealingKms, TestTenantKeys.asking(sealingKms), registry), props,
                Instant.ofEpochMilli(1_000_000));
        keys = driver.createInputTopic(Topics.KEYS.name(), new StringSerializer(), (topic, b) -> b);
        changes = driver.createInputTopic(Topics.CHANGES.name(), new StringSerializer(),
                (topic, e) -> e, Instant.ofEpochMilli(1_000_000), Duration.ZERO);
        segments = driver.createOutputTopic(Topics.SEGMENTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    private ChangeEvent event(String tenant, int id) {
        long off = offset++;
        return ChangeEvent.newBuilder().setEventId("cdc.x/0/" + off).setTenant(tenant).setTable("public.t").setOp(Op.CREATE)
                .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + id + "}")
                .setAfter("{\"id\":" + id + ",\"note\":\"" + CANARY + "\"}").setEventTimeMs(5_000L + id)
                .setSource(new SourcePosition("cdc.x", 0, off, 1L)).build();
    }

    private void pipe(ChangeEvent e) {
        changes.pipeInput(e.getTenant() + "/" + e.getKey(), Topics.CHANGES.valueSerde().serializer().serialize("t", e));
    }

    private List<ChangeEvent> open(byte[] bytes) {
        return new SegmentOpener(kms, T).open("test", bytes).stream()
                .map(b -> Topics.CHANGES.valueSerde().deserializer().deserialize("t", b)).toList();
    }

    @Test
    void segmentIsSealedAtMaxRecordsAndDecryptsToTheEventsInOrder() {
        start(new EncryptorConfig(null, 3, null, Duration.ofHours(1), null), true);
        List<ChangeEvent> sent = List.of(event("acme", 1), event("acme", 2), event("acme", 3), event("acme", 4));
        sent.forEach(this::pipe);

        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).key).isEqualTo("acme/0");
        SegmentHeader h = Segment.parse("t", out.get(0).value).header();
        assertThat(h.getRecordCount()).isEqualTo(3);
        assertThat(h.getFirstOffset()).isZero();
        assertThat(h.getLastOffset()).isEqualTo(2);
        assertThat(h.getMinEventTimeMs()).isEqualTo(5_001L);
        assertThat(h.getMaxEventTimeMs()).isEqualTo(5_003L);
        assertThat(h.getKeyId()).isEqualTo("local://acme");
        assertThat(h.getEnvironment()).isEqualTo("test");
        assertThat(h.getPredecessorSegmentId()).isNull();
        assertThat(open(out.get(0).value)).isEqualTo(sent.subList(0, 3));
    }

    @Test
    void everySegmentCarriesTheSha256OfItsBytes() {
        start(new EncryptorConfig(null, 2, null, Duration.ofHours(1), null), true);
        List.of(event("acme", 1), event("acme", 2), event("globex", 1), event("globex", 2)).forEach(this::pipe);

        List<TestRecord<String, byte[]>> out = segments.readRecordsToList();
        assertThat(out).hasSize(2);
        for (TestRecord<String, byte[]> r : out) {
            assertThat(r.headers().headers(Topics.SEGMENT_SHA256_HEADER)).as("exactly one digest").hasSize(1);
            assertThat(r.headers().lastHeader(Topics.SEGMENT_SHA256_HEADER).value()).isEqualTo(Segment.sha256(r.value()));
        }
        assertThat(out.get(0).headers().lastHeader(Topics.SEGMENT_SHA256_HEADER).value())
                .isNotEqualTo(out.get(1).headers().lastHeader(Topics.SEGMENT_SHA256_HEADER).value());
    }

    @Test
    void aSegmentIsClassifiedAsItsMostSensitiveRecord() {
        start(new EncryptorConfig(null, 3, null, Duration.ofHours(1), null), true);
        ChangeEvent restricted = event("acme", 2);
        restricted.setClassification(Classification.RESTRICTED);
        ChangeEvent internal = event("acme", 3);
        internal.setClassification(Classification.INTERNAL);
        pipe(event("acme", 1));
        pipe(restricted);
        pipe(internal);
        assertThat(Segment.parse("t", segments.readValue()).header().getClassification()).isEqualTo(Classification.RESTRICTED);
        pipe(internal);
        pipe(internal);
        pipe(internal);
        assertThat(Segment.parse("t", segments.readValue()).header().getClassification()).isEqualTo(Classification.INTERNAL);
    }

    @Test
    void segmentIsSealedAtMaxBytes() {
        start(new EncryptorConfig(null, null, 1024, Duration.ofHours(1), null), true);
        int piped = 0;
        while (segments.isEmpty()) {
            pipe(event("acme", piped++));
        }
        SegmentHeader h = Segment.parse("t", segments.readValue()).header();
        assertThat(h.getRecordCount()).isEqualTo(piped);
        assertThat(h.getPlaintextBytes()).isGreaterThanOrEqualTo(1024);
        assertThat(piped).isGreaterThan(1);
    }

    @Test
    void segmentIsSealedAtMaxAgeByWallClock() {
        start(new EncryptorConfig(null, 1000, null, Duration.ofSeconds(10), null), true);
        pipe(event("acme", 1));
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertThat(segments.isEmpty()).as("not yet old").isTrue();
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        assertThat(Segment.parse("t", segments.readValue()).header().getRecordCount()).isEqualTo(1);
    }

    @Test
    void eachTenantGetsItsOwnSegmentKeyAndDataKeyAndSegmentsAreChained() {
        start(new EncryptorConfig(null, 2, null, Duration.ofHours(1), null), true);
        pipe(event("acme", 1));
        pipe(event("globex", 1));
        pipe(event("acme", 2));
        pipe(event("globex", 2));
        pipe(event("acme", 3));
        pipe(event("acme", 4));

        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).extracting(kv -> kv.key).containsExactly("acme/0", "globex/0", "acme/0");
        SegmentHeader first = Segment.parse("t", out.get(0).value).header();
        SegmentHeader globex = Segment.parse("t", out.get(1).value).header();
        SegmentHeader second = Segment.parse("t", out.get(2).value).header();
        assertThat(globex.getKeyId()).isEqualTo("local://globex");
        assertThat(second.getPredecessorSegmentId()).isEqualTo(first.getSegmentId());
        assertThat(globex.getPredecessorSegmentId()).isNull();
        assertThat(second.getWrappedDek()).as("fresh DEK per segment").isNotEqualTo(first.getWrappedDek());
        assertThat(open(out.get(2).value)).extracting(ChangeEvent::getKey).containsExactly("{\"id\":3}", "{\"id\":4}");
    }

    @Test
    void bufferedRecordsAreStoredEncrypted() {
        start(new EncryptorConfig(null, 100, null, Duration.ofHours(1), null), true);
        pipe(event("acme", 1));
        pipe(event("acme", 2));
        KeyValueStore<String, byte[]> records = driver.getKeyValueStore(EncryptorTopology.RECORDS_STORE);
        KeyValueStore<String, byte[]> open = driver.getKeyValueStore(EncryptorTopology.OPEN_STORE);
        int stored = 0;
        try (var it = records.all()) {
            while (it.hasNext()) {
                assertThat(new String(it.next().value, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY).doesNotContain("\"id\"");
                stored++;
            }
        }
        assertThat(stored).isEqualTo(2);
        try (var it = open.all()) {
            assertThat(new String(it.next().value, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY);
        }
    }

    @Test
    void withoutEvenTheQuarantineKeyTheTaskFailsAndNothingIsWritten() {
        start(new EncryptorConfig(null, 1, null, Duration.ofHours(1), null), false);
        Kmses.await(kms.createKek("acme"), T);
        // the quarantine key also keys the partition's state root: even a tenant with a key cannot go on without it
        assertThatThrownBy(() -> pipe(event("acme", 1)))
                .hasRootCauseInstanceOf(UnknownKeyException.class)
                .rootCause().hasMessageContaining("local://strongroom-quarantine");
        assertThat(segments.isEmpty()).isTrue();

        assertThatThrownBy(() -> pipe(event("nokey", 1)))
                .hasRootCauseInstanceOf(UnknownKeyException.class)
                .rootCause().hasMessageContaining("local://strongroom-quarantine");
        assertThat(segments.isEmpty()).isTrue();
        KeyValueStore<String, byte[]> records = driver.getKeyValueStore(EncryptorTopology.RECORDS_STORE);
        assertThat(records.approximateNumEntries()).isZero();
    }

    @Test
    void aTenantWhoseKeyFailsIsHeldEncryptedWhileOthersFlowAndIsReleasedInOrderWhenItsKeyWorks() {
        FlakyKms flaky = startFlaky(new EncryptorConfig(null, 2, null, Duration.ofHours(1), null));
        pipe(event("acme", 1));
        pipe(event("globex", 1));
        pipe(event("acme", 2));
        assertThat(segments.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("acme/0");

        flaky.deny("local://acme");
        ChangeEvent a3 = event("acme", 3);
        ChangeEvent a4 = event("acme", 4);
        pipe(a3);
        pipe(a4);
        pipe(event("globex", 2));
        assertThat(segments.readKeyValuesToList()).as("globex keeps flowing, acme fails closed")
                .extracting(kv -> kv.key).containsExactly("globex/0");
        assertThat(gauge("strongroom.encryptor.records.held")).isEqualTo(2);
        assertThat(gauge("strongroom.encryptor.tenants.failed.closed")).isEqualTo(1);
        assertThat(registry.get("strongroom.encryptor.tenant.key.failures").counter().count()).isPositive();
        assertNoPlaintextInStores();

        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(segments.isEmpty()).as("still denied: retried, still held").isTrue();
        flaky.allow("local://acme");
        ChangeEvent a5 = event("acme", 5);
        pipe(a5); // arrives before the retry is due: held behind a3 and a4, never overtaking them
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).extracting(kv -> kv.key).containsExactly("acme/0");
        assertThat(open(out.get(0).value)).containsExactly(a3, a4);
        SegmentHeader h = Segment.parse("t", out.get(0).value).header();
        assertThat(h.getKeyId()).as("sealed under the tenant's key, not the quarantine key").isEqualTo("local://acme");
        assertThat(h.getFirstOffset()).isEqualTo(a3.getSource().getOffset());
        assertThat(gauge("strongroom.encryptor.records.held")).isZero();
        assertThat(gauge("strongroom.encryptor.tenants.failed.closed")).isZero();
        pipe(event("acme", 6));
        assertThat(open(segments.readValue())).extracting(ChangeEvent::getKey).containsExactly("{\"id\":5}", "{\"id\":6}");
    }

    @Test
    void anUndecodableEventOfAHeldTenantIsHeldInOrderAndQuarantinedWhenItsKeyWorks() {
        FlakyKms flaky = startFlaky(new EncryptorConfig(null, 100, null, Duration.ofHours(1), null));
        flaky.deny("local://acme");
        ChangeEvent a1 = event("acme", 1);
        ChangeEvent a2 = event("acme", 2);
        ChangeEvent a3 = event("acme", 3);
        pipe(a1);
        byte[] v3 = ChangeEventV3.asV3(a2);
        changes.pipeInput("acme/public.t/2", v3);
        pipe(a3);
        assertThat(segments.isEmpty()).isTrue();
        assertThat(gauge("strongroom.encryptor.records.held")).isEqualTo(3);

        flaky.allow("local://acme");
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        driver.advanceWallClockTime(Duration.ofHours(2));
        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).extracting(kv -> Segment.parse("t", kv.value).header().getStream())
                .containsExactly(Topics.CHANGES.name(), Segment.QUARANTINE_STREAM, Topics.CHANGES.name());
        SegmentHeader q = Segment.parse("t", out.get(1).value).header();
        assertThat(q.getKeyId()).isEqualTo("local://acme");
        assertThat(q.getFirstOffset()).isEqualTo(1);
        assertThat(q.getClassification()).isEqualTo(Classification.RESTRICTED);
        assertThat(q.getPredecessorSegmentId()).as("a link of the tenant's chain")
                .isEqualTo(Segment.parse("t", out.get(0).value).header().getSegmentId());
        assertThat(Segment.parse("t", out.get(2).value).header().getPredecessorSegmentId()).isEqualTo(q.getSegmentId());
        var payload = AvroSerde.of(DeadLetterPayload.class)
                .decode("t", new SegmentOpener(kms, T).open("t", out.get(1).value).get(0));
        byte[] value = new byte[payload.getValue().remaining()];
        payload.getValue().get(value);
        assertThat(value).isEqualTo(v3);
        assertThat(open(out.get(0).value)).containsExactly(a1);
        assertThat(open(out.get(2).value)).containsExactly(a3);
    }

    @Test
    void anUndecodableRecordNamingATenantWithoutAKeyStopsTheEncryptorAndMintsNoKey() {
        start(new EncryptorConfig(null, 100, null, Duration.ofHours(1), null), true); // a KMS that creates keys on use
        pipe(event("acme", 1));
        byte[] v3 = ChangeEventV3.asV3(event("acme", 2));
        // the key says "newco", a tenant nobody created: its record key is all that names it
        assertThatThrownBy(() -> changes.pipeInput("newco/public.t/2", v3))
                .hasRootCauseInstanceOf(SegmentProcessor.UndecodableRecordException.class)
                .rootCause().hasMessageContaining("newco").hasMessageContaining("offset 1");
        assertThatThrownBy(() -> Kmses.await(kms.describe(kms.keyIdFor("newco")), T))
                .as("no key minted for a tenant only a record key names").isInstanceOf(UnknownKeyException.class);
        assertThat(segments.isEmpty()).as("nothing quarantined").isTrue();
    }

    @Test
    void aRecordWithoutAValueIsQuarantinedNotSkipped() {
        start(new EncryptorConfig(null, 1, null, Duration.ofHours(1), null), true);
        pipe(event("acme", 1));
        changes.pipeInput("acme/public.t/9", (byte[]) null); // ingest never writes one: kept, not dropped
        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).extracting(kv -> Segment.parse("t", kv.value).header().getStream())
                .containsExactly(Topics.CHANGES.name(), Segment.QUARANTINE_STREAM);
        var payload = AvroSerde.of(DeadLetterPayload.class)
                .decode("t", new SegmentOpener(kms, T).open("t", out.get(1).value).get(0));
        assertThat(payload.getValue()).isNull();
        assertThat(new String(payload.getKey().array(), StandardCharsets.UTF_8)).isEqualTo("acme/public.t/9");
    }

    @Test
    void theTenantOfAnUndecodableRecordIsReadFromItsKeyOrNotAtAll() {
        assertThat(SegmentProcessor.tenantOf("acme/public.t/{\"id\":1}")).isEqualTo("acme");
        assertThat(SegmentProcessor.tenantOf(null)).isNull();
        assertThat(SegmentProcessor.tenantOf("acme")).isNull();
        assertThat(SegmentProcessor.tenantOf("/x")).isNull();
        assertThat(SegmentProcessor.tenantOf("ac me/x")).isNull();
        assertThat(SegmentProcessor.tenantOf("strongroom-quarantine/x")).isNull();
    }

    @Test
    void aSegmentIsSealedAsSoonAsItsKeyVersionStopsBeingPrimaryAndTheNextUsesTheNewVersionOtherTenantsUntouched() {
        start(new EncryptorConfig(null, 100, null, Duration.ofHours(1), null), true);
        pipe(event("acme", 1));
        pipe(event("globex", 1));
        publishKeys("acme");
        publishKeys("globex");
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(segments.isEmpty()).as("v1 still primary").isTrue();

        Kmses.await(kms.rotate("local://acme"), T);
        publishKeys("acme");
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        List<KeyValue<String, byte[]>> out = segments.readKeyValuesToList();
        assertThat(out).extracting(kv -> kv.key).as("only acme's segment is sealed").containsExactly("acme/0");
        assertThat(Segment.parse("t", out.get(0).value).header().getKeyVersion()).isEqualTo("1");
        assertThat(registry.get("strongroom.encryptor.seals").tag("reason", "key-version").counter().count()).isEqualTo(1);

        pipe(event("acme", 2));
        driver.advanceWallClockTime(Duration.ofHours(2));
        assertThat(segments.readKeyValuesToList()).extracting(kv -> kv.key + " " + Segment.parse("t", kv.value).header().getKeyVersion())
                .containsExactlyInAnyOrder("acme/0 2", "globex/0 1");
        assertThat(registry.get("strongroom.encryptor.segments.sealed").tag("key.version", "2").counter().count()).isEqualTo(1);
    }

    @Test
    void aVersionTheKeysTopicSaysIsNotPrimaryIsNeverUsedEvenIfTheKmsStillHandsItOut() {
        start(new EncryptorConfig(null, 1, null, Duration.ofHours(1), null), true);
        Kmses.await(kms.createKek("acme"), T);
        keys.pipeInput("local://acme/1", keyEvent("acme", "1", KeyState.DISABLED));
        pipe(event("acme", 1));
        assertThat(segments.isEmpty()).as("a stale KMS answer is refused").isTrue();
        assertThat(gauge("strongroom.encryptor.records.held")).isEqualTo(1);

        keys.pipeInput("local://acme/1", keyEvent("acme", "1", KeyState.PRIMARY));
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(Segment.parse("t", segments.readValue()).header().getKeyVersion()).isEqualTo("1");
        assertThat(gauge("strongroom.encryptor.records.held")).isZero();
    }

    private void publishKeys(String tenant) {
        for (var v : Kmses.await(kms.describe(kms.keyIdFor(tenant)), T)) {
            var state = v.state() == io.strongroom.crypto.kms.KeyState.PRIMARY ? KeyState.PRIMARY
                    : KeyState.DECRYPT_ONLY;
            keys.pipeInput(kms.keyIdFor(tenant) + "/" + v.version(), keyEvent(tenant, v.version(), state));
        }
    }

    private byte[] keyEvent(String tenant, String version, KeyState state) {
        return Topics.KEYS.valueSerde().serializer().serialize("t", KeyVersionEvent.newBuilder()
                .setKeyId("local://" + tenant).setTenant(tenant).setVersion(version).setState(state).setAlgorithm("AES256_GCM")
                .setCreatedAtMs(1).setChangedAtMs(2).setActor("test").build());
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private void assertNoPlaintextInStores() {
        for (String store : List.of(EncryptorTopology.RECORDS_STORE, EncryptorTopology.OPEN_STORE)) {
            KeyValueStore<String, byte[]> kv = driver.getKeyValueStore(store);
            try (var it = kv.all()) {
                while (it.hasNext()) {
                    assertThat(new String(it.next().value, StandardCharsets.ISO_8859_1)).as(store).doesNotContain(CANARY);
                }
            }
        }
    }
}
