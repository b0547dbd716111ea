package io.strongroom.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.Op;
import io.strongroom.avro.RejectReason;
import io.strongroom.ingest.IngestConfig;
import io.strongroom.schemas.ChangeEvents;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IngestTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "cdc.acme.public.orders";
    private static final long NOW = 1_800_000_000_000L;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<String, ChangeEvent> changes;
    private TestOutputTopic<String, DeadLetter> dlq;

    @BeforeEach
    void setUp() {
        start(IngestConfig.defaults());
    }

    private void start(IngestConfig config) {
        if (driver != null) {
            driver.close();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
        driver = new TopologyTestDriver(IngestTopology.topology(config), props, Instant.ofEpochMilli(NOW));
        input = driver.createInputTopic(TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
        changes = driver.createOutputTopic(Topics.CHANGES.name(), Topics.CHANGES.keySerde().deserializer(),
                Topics.CHANGES.valueSerde().deserializer());
        dlq = driver.createOutputTopic(Topics.INGEST_DLQ.name(), Topics.INGEST_DLQ.keySerde().deserializer(),
                Topics.INGEST_DLQ.valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void debeziumUpdateBecomesAChangeEventCarryingKeyHeadersTimestampAndPosition() throws Exception {
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", b("00-abc-01"));
        input.pipeInput(new TestRecord<>(b("{\"id\":7}"), b("{\"before\":{\"id\":7,\"total\":\"1.00\"},\"after\":{\"id\":7,"
                + "\"total\":\"2.50\"},\"source\":{\"schema\":\"public\",\"table\":\"orders\",\"lsn\":5},\"op\":\"u\",\"ts_ms\":1700}"),
                headers, 1234L));

        TestRecord<String, ChangeEvent> out = changes.readRecord();
        ChangeEvent e = ChangeEvents.withText(out.value());
        assertThat(out.key()).isEqualTo("acme/public.orders/{\"id\":7}");
        assertThat(e.getTenant()).isEqualTo("acme");
        assertThat(e.getTable()).isEqualTo("public.orders");
        assertThat(e.getOp()).isEqualTo(Op.UPDATE);
        assertThat(JSON.readTree(e.getAfter()).get("total").asText()).isEqualTo("2.50");
        assertThat(JSON.readTree(e.getBefore()).get("total").asText()).isEqualTo("1.00");
        assertThat(e.getEventTimeMs()).isEqualTo(1700L);
        assertThat(e.getSource().getTopic()).isEqualTo(TOPIC);
        assertThat(e.getSource().getOffset()).isZero();
        assertThat(e.getSource().getTimestampMs()).isEqualTo(1234L);
        assertThat(StandardCharsets.UTF_8.decode(e.getOriginalKey()).toString()).isEqualTo("{\"id\":7}");
        assertThat(e.getHeaders()).singleElement().satisfies(h -> assertThat(h.getKey()).isEqualTo("traceparent"));
        assertThat(out.timestamp()).as("stamped when processed, so retention cannot drop old rows").isEqualTo(NOW);
        assertThat(out.headers().toArray()).as("input headers travel inside the event, not on the record").isEmpty();
        assertThat(dlq.isEmpty()).isTrue();
    }

    /** Numbers a double cannot hold, and spellings a re-serializer would change: the archive keeps each as written. */
    static final String EXACT_ROW = "{\"id\": 18446744073709551617, \"balance\": 1234567890.123456789012,"
            + " \"pi\": 3.14159265358979323846264338327950288, \"tiny\": 1e-30, \"big\": 1.5E+300, \"nz\": -0,"
            + " \"nzf\": -0.0, \"trail\": 2.50, \"nested\": {\"v\": [12345678901234567890123, 0.1]}, \"s\": \"\\u00e9\\n\"}";

    @Test
    void rowImagesKeyAndSourceAreKeptAsTheTextTheSourceSentAndTheValueByteForByte() {
        String key = "{\"id\": 18446744073709551617}";
        String source = "{\"schema\": \"public\", \"table\": \"orders\", \"lsn\": 123456789012345678901}";
        String value = "{\"before\": " + EXACT_ROW.replace("2.50", "2.5") + ",\n \"after\": " + EXACT_ROW + ", \"source\": " + source
                + ", \"op\": \"u\", \"ts_ms\": 1700}";
        input.pipeInput(new TestRecord<>(b(key), b(value), null, 1234L));

        TestRecord<String, ChangeEvent> out = changes.readRecord();
        assertThat(out.value().getAfter()).as("stored once, in the value").isNull();
        assertThat(out.value().getTextSpans()).hasSize(8);
        ChangeEvent e = ChangeEvents.withText(out.value());
        assertThat(e.getAfter()).isEqualTo(EXACT_ROW);
        assertThat(e.getBefore()).isEqualTo(EXACT_ROW.replace("2.50", "2.5"));
        assertThat(e.getKey()).isEqualTo(key);
        assertThat(e.getSourceInfo()).isEqualTo(source);
        assertThat(bytes(e.getOriginalValue())).isEqualTo(b(value));
        assertThat(bytes(e.getOriginalKey())).isEqualTo(b(key));
        assertThat(out.key()).isEqualTo("acme/public.orders/" + key);
    }

    @Test
    void theRowSchemaAndKeyOfAConnectEnvelopeAreTheTextsTheSourceSent() {
        String rowSchema = "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
                + "{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Date\",\"version\":1,\"field\":\"d\"}],"
                + "\"optional\":true,\"name\":\"cdc.acme.public.orders.Value\",\"field\":\"after\"}";
        String value = "{\"schema\":{\"type\":\"struct\",\"fields\":[" + rowSchema.replace("\"after\"", "\"before\"") + ","
                + rowSchema + ",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}],\"optional\":false},"
                + "\"payload\":{\"before\":null,\"after\":{\"id\":1,\"d\":11022},\"op\":\"c\"}}";
        String key = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"field\":\"id\"}]},"
                + "\"payload\":{\"id\":1}}";
        input.pipeInput(new TestRecord<>(b(key), b(value), null, 1234L));

        ChangeEvent e = ChangeEvents.withText(changes.readValue());
        assertThat(e.getRowSchema()).isEqualTo(rowSchema);
        assertThat(e.getAfter()).isEqualTo("{\"id\":1,\"d\":11022}");
        assertThat(e.getKey()).isEqualTo("{\"id\":1}");
        assertThat(bytes(e.getOriginalKey())).isEqualTo(b(key));
        assertThat(e.getColumns()).as("v2's SQL types: a restore derives them from the row schema now").isNull();
    }

    @Test
    void aKeyThatIsNotJsonIsKeptAsBytesAndOrdersItsChangesTogether() {
        byte[] plainId = b("order-7f3a");
        byte[] binary = {0, (byte) 0xFF, 0x10, (byte) 0x80};
        String value = "{\"after\":{\"id\":1},\"op\":\"c\"}";
        input.pipeInput(new TestRecord<>(plainId, b(value), null, 1L));
        input.pipeInput(new TestRecord<>(binary, b(value), null, 2L));
        input.pipeInput(new TestRecord<>(plainId, b(value.replace("\"c\"", "\"u\"")), null, 3L));

        List<TestRecord<String, ChangeEvent>> out = changes.readRecordsToList();
        assertThat(dlq.isEmpty()).as("a non-JSON key is not a reason to reject a change").isTrue();
        assertThat(out).hasSize(3);
        assertThat(out).allSatisfy(r -> assertThat(r.value().getKey()).isNull());
        assertThat(bytes(out.get(0).value().getOriginalKey())).isEqualTo(plainId);
        assertThat(bytes(out.get(1).value().getOriginalKey())).isEqualTo(binary);
        assertThat(out.get(2).key()).as("one key, one key on strongroom.changes").isEqualTo(out.get(0).key())
                .isNotEqualTo(out.get(1).key()).startsWith("acme/public.orders/bytes:").hasSize("acme/public.orders/bytes:".length() + 32);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void generatedEventsWithAndWithoutEmbeddedSchemaAreAllAccepted() {
        for (boolean withSchema : List.of(false, true)) {
            List<CdcRecord> records = new CdcGenerator(CdcGenerator.Options.of(300, "acme").withSchema(withSchema)).generate();
            for (CdcRecord r : records) {
                input.pipeInput(new TestRecord<>(r.key(), r.value(), null, r.timestampMs()));
            }
            List<ChangeEvent> events = changes.readValuesToList();
            assertThat(events).hasSize(300);
            assertThat(events).extracting(ChangeEvent::getOp).contains(Op.CREATE, Op.UPDATE, Op.DELETE, Op.READ, Op.TOMBSTONE);
            assertThat(dlq.isEmpty()).isTrue();
        }
    }

    @Test
    void malformedJsonGoesToTheDlqWithReasonAndPositionButNoPayload() {
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        input.pipeInput(b("{\"id\":2}"), b("{\"op\":\"c\",\"after\":{\"note\":\"" + CdcGenerator.DEFAULT_CANARY + "\" oops"));
        input.pipeInput(b("{\"id\":3}"), b("{\"op\":\"c\",\"after\":{\"id\":3}}"));

        assertThat(changes.readValuesToList()).extracting(ChangeEvent::getEventId)
                .containsExactly(TOPIC + "/0/0", TOPIC + "/0/2");
        TestRecord<String, DeadLetter> letter = dlq.readRecord();
        assertThat(letter.key()).isEqualTo(TOPIC + "/0/1");
        assertThat(letter.value().getReason()).isEqualTo(RejectReason.UNPARSEABLE);
        assertThat(letter.value().getDetail()).startsWith("value is not valid JSON at line 1, column");
        assertThat(letter.value().getSource().getOffset()).isEqualTo(1L);
        assertThat(letter.value().getPayloadSizeBytes()).isPositive();
        byte[] stored = Topics.INGEST_DLQ.valueSerde().serializer().serialize("x", letter.value());
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(CdcGenerator.DEFAULT_CANARY);
    }

    @Test
    void aReservedTenantNameIsRefusedAtIngest() {
        for (String tenant : List.of("strongroom-quarantine", "strongroom-audit", "strongroom-anything", "Strongroom-Audit")) {
            TestInputTopic<byte[], byte[]> reserved = driver.createInputTopic("cdc." + tenant + ".public.orders",
                    new ByteArraySerializer(), new ByteArraySerializer());
            reserved.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        }
        input.pipeInput(b("{\"id\":2}"), b("{\"op\":\"c\",\"after\":{\"id\":2}}"));

        assertThat(changes.readValuesToList()).as("only the data tenant's event passes, the others did not stop it")
                .extracting(ChangeEvent::getTenant).containsExactly("acme");
        List<DeadLetter> letters = dlq.readValuesToList();
        assertThat(letters).extracting(DeadLetter::getReason).containsOnly(RejectReason.UNKNOWN_TENANT).hasSize(4);
        assertThat(letters).extracting(DeadLetter::getTenant).as("sealed as without a tenant (quarantine key)").containsOnlyNulls();
        assertThat(letters).extracting(DeadLetter::getDetail).containsExactly(
                "tenant name 'strongroom-quarantine' is reserved (names starting with strongroom- are Strongroom's own)",
                "tenant name 'strongroom-audit' is reserved (names starting with strongroom- are Strongroom's own)",
                "tenant name 'strongroom-anything' is reserved (names starting with strongroom- are Strongroom's own)",
                "tenant name 'Strongroom-Audit' is reserved (names starting with strongroom- are Strongroom's own)");
    }

    @Test
    void eachValidationFailureHasItsOwnReason() {
        input.pipeInput(b("{\"id\":1}"), b("{\"after\":{\"id\":1}}"));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":null}"));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":[1,2]}"));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"z\",\"after\":{}}"));
        input.pipeInput(b("{\"id\":1}"), b("[1]"));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{},\"ts_ms\":\"yesterday\"}"));
        input.pipeInput(b("{\"id\":1}"), new byte[0]);

        assertThat(dlq.readValuesToList()).extracting(DeadLetter::getReason).containsExactly(
                RejectReason.MISSING_OP, RejectReason.MISSING_AFTER, RejectReason.WRONG_TYPE, RejectReason.UNSUPPORTED,
                RejectReason.WRONG_TYPE, RejectReason.WRONG_TYPE, RejectReason.UNPARSEABLE);
        assertThat(changes.isEmpty()).isTrue();
    }

    @Test
    void tenantCanComeFromAHeaderAndIsValidated() {
        start(new IngestConfig(null, null, null, null, null, null, "header", "x-tenant", null, null, null));
        RecordHeaders good = new RecordHeaders();
        good.add("x-tenant", b("globex"));
        input.pipeInput(new TestRecord<>(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"), good, 1L));
        RecordHeaders bad = new RecordHeaders();
        bad.add("x-tenant", b("../etc"));
        input.pipeInput(new TestRecord<>(b("{\"id\":2}"), b("{\"op\":\"c\",\"after\":{\"id\":2}}"), bad, 2L));
        input.pipeInput(b("{\"id\":3}"), b("{\"op\":\"c\",\"after\":{\"id\":3}}"));

        assertThat(changes.readValuesToList()).singleElement().satisfies(e -> assertThat(e.getTenant()).isEqualTo("globex"));
        assertThat(dlq.readValuesToList()).extracting(DeadLetter::getDetail)
                .containsExactly("tenant name is not valid (allowed: [A-Za-z0-9][A-Za-z0-9_-]{0,63})", "no 'x-tenant' header");
    }

    @Test
    void tenantCanComeFromAPayloadFieldWithTombstonesFallingBackToTheTopic() {
        start(new IngestConfig(null, null, null, null, null, null, "field", null, null, null, null));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1},\"source\":{\"db\":\"globex\"}}"));
        input.pipeInput(b("{\"id\":1}"), (byte[]) null);
        input.pipeInput(b("{\"id\":2}"), b("{\"op\":\"c\",\"after\":{\"id\":2},\"source\":{}}"));

        assertThat(changes.readValuesToList()).extracting(ChangeEvent::getTenant).containsExactly("globex", "acme");
        assertThat(dlq.readValue().getDetail()).isEqualTo("payload has no tenant at /source/db");
    }

    @Test
    void classificationFollowsTheMostSpecificPolicyEntry() {
        start(new IngestConfig(null, null, null, null, Classification.INTERNAL, null, null, null, null, Map.of(
                "acme/public.orders", Classification.RESTRICTED, "*/public.orders", Classification.PUBLIC,
                "acme/*", Classification.CONFIDENTIAL), null));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        var other = driver.createInputTopic("cdc.globex.public.orders", new ByteArraySerializer(), new ByteArraySerializer());
        other.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        var otherTable = driver.createInputTopic("cdc.acme.public.invoices", new ByteArraySerializer(), new ByteArraySerializer());
        otherTable.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        var unlisted = driver.createInputTopic("cdc.globex.public.invoices", new ByteArraySerializer(), new ByteArraySerializer());
        unlisted.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        assertThat(changes.readValuesToList()).extracting(ChangeEvent::getClassification).containsExactly(
                Classification.RESTRICTED, Classification.PUBLIC, Classification.CONFIDENTIAL, Classification.INTERNAL);
    }

    @Test
    void oversizedAndUnknownTenantAreRejected() {
        start(new IngestConfig(null, null, null, List.of("globex"), null, 2048, null, null, null, null, null));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"id\":1}}"));
        assertThat(dlq.readValue().getDetail()).isEqualTo("tenant 'acme' is not in ingest.tenants");

        start(new IngestConfig(null, null, null, null, null, 2048, null, null, null, null, null));
        input.pipeInput(b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{\"blob\":\"" + "x".repeat(3000) + "\"}}"));
        DeadLetter oversized = dlq.readValue();
        assertThat(oversized.getReason()).isEqualTo(RejectReason.OVERSIZED);
        assertThat(oversized.getDetail()).contains("over ingest.max-record-bytes 2048");
    }
}
