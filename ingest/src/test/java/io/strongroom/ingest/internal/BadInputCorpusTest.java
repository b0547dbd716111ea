package io.strongroom.ingest.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.Op;
import io.strongroom.avro.RejectReason;
import io.strongroom.avro.SourcePosition;
import io.strongroom.ingest.IngestConfig;
import io.strongroom.schemas.ChangeEvents;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * A corpus of bad inputs, each between good events: every bad one lands on the DLQ with its own
 * reason and its position, every good one is delivered, and the counts balance: in = out + DLQ.
 */
class BadInputCorpusTest {
    private static final String TOPIC = "cdc.acme.public.orders";

    private record Bad(String what, String topic, byte[] key, byte[] value, RejectReason reason) {}

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Bad bad(String what, String value, RejectReason reason) {
        return new Bad(what, TOPIC, b("{\"id\":1}"), b(value), reason);
    }

    private static byte[] avro(String tenant) {
        ChangeEvent e = ChangeEvent.newBuilder().setEventId("x").setTenant(tenant).setTable("public.orders").setOp(Op.CREATE)
                .setClassification(Classification.INTERNAL).setAfter("{\"id\":1}")
                .setSource(new SourcePosition("svc", 0, 0L, 0L)).build();
        return Topics.CHANGES.valueSerde().serializer().serialize("t", e);
    }

    static List<Bad> corpus() {
        List<Bad> corpus = new ArrayList<>();
        corpus.add(bad("truncated JSON", "{\"op\":\"c\",\"after\":{\"id\":1", RejectReason.UNPARSEABLE));
        corpus.add(new Bad("binary junk", TOPIC, b("{\"id\":1}"), new byte[] {0, (byte) 0xFF, 0x13, 0x37, (byte) 0x80}, RejectReason.UNPARSEABLE));
        corpus.add(new Bad("empty value", TOPIC, b("{\"id\":1}"), new byte[0], RejectReason.UNPARSEABLE));
        corpus.add(bad("whitespace only", "   \n ", RejectReason.UNPARSEABLE));
        corpus.add(bad("JSON array", "[1,2,3]", RejectReason.WRONG_TYPE));
        corpus.add(bad("JSON string", "\"hello\"", RejectReason.WRONG_TYPE));
        corpus.add(bad("JSON number", "42", RejectReason.WRONG_TYPE));
        corpus.add(bad("JSON null literal", "null", RejectReason.WRONG_TYPE));
        corpus.add(bad("missing op", "{\"after\":{\"id\":1}}", RejectReason.MISSING_OP));
        corpus.add(bad("null op", "{\"op\":null,\"after\":{\"id\":1}}", RejectReason.MISSING_OP));
        corpus.add(bad("numeric op", "{\"op\":1,\"after\":{\"id\":1}}", RejectReason.WRONG_TYPE));
        corpus.add(bad("unknown op", "{\"op\":\"x\",\"after\":{\"id\":1}}", RejectReason.UNSUPPORTED));
        corpus.add(bad("upper-case op", "{\"op\":\"C\",\"after\":{\"id\":1}}", RejectReason.UNSUPPORTED));
        corpus.add(bad("create without after", "{\"op\":\"c\"}", RejectReason.MISSING_AFTER));
        corpus.add(bad("update with null after", "{\"op\":\"u\",\"before\":{\"id\":1},\"after\":null}", RejectReason.MISSING_AFTER));
        corpus.add(bad("snapshot read without after", "{\"op\":\"r\"}", RejectReason.MISSING_AFTER));
        corpus.add(bad("after is an array", "{\"op\":\"c\",\"after\":[1]}", RejectReason.WRONG_TYPE));
        corpus.add(bad("after is a string", "{\"op\":\"c\",\"after\":\"row\"}", RejectReason.WRONG_TYPE));
        corpus.add(bad("before is a number", "{\"op\":\"d\",\"before\":7}", RejectReason.WRONG_TYPE));
        corpus.add(bad("source is a string", "{\"op\":\"c\",\"after\":{},\"source\":\"pg\"}", RejectReason.WRONG_TYPE));
        corpus.add(bad("ts_ms is a string", "{\"op\":\"c\",\"after\":{},\"ts_ms\":\"now\"}", RejectReason.WRONG_TYPE));
        corpus.add(bad("ts_ms is a boolean", "{\"op\":\"c\",\"after\":{},\"ts_ms\":true}", RejectReason.WRONG_TYPE));
        corpus.add(bad("ts_ms beyond a long", "{\"op\":\"c\",\"after\":{},\"ts_ms\":1e30}", RejectReason.WRONG_TYPE));
        corpus.add(bad("schema wrapper, payload an array", "{\"schema\":{},\"payload\":[1]}", RejectReason.WRONG_TYPE));
        corpus.add(bad("schema wrapper, payload without op", "{\"schema\":{},\"payload\":{\"after\":{}}}", RejectReason.MISSING_OP));
        corpus.add(bad("huge record", "{\"op\":\"c\",\"after\":{\"blob\":\"" + "x".repeat(1_100_000) + "\"}}", RejectReason.OVERSIZED));
        corpus.add(new Bad("topic without a tenant", "cdc.nodots", b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{}}"),
                RejectReason.UNKNOWN_TENANT));
        corpus.add(new Bad("tenant not accepted", "cdc.evil.public.t", b("{\"id\":1}"), b("{\"op\":\"c\",\"after\":{}}"),
                RejectReason.UNKNOWN_TENANT));
        byte[] unknownFingerprint = avro("acme");
        unknownFingerprint[3] ^= 0x7F;
        corpus.add(new Bad("Avro with an unknown schema fingerprint", TOPIC, null, unknownFingerprint, RejectReason.UNKNOWN_SCHEMA));
        byte[] good = avro("acme");
        corpus.add(new Bad("truncated Avro", TOPIC, null, Arrays.copyOf(good, good.length - 8), RejectReason.UNPARSEABLE));
        corpus.add(new Bad("Avro event of another tenant", TOPIC, null, avro("globex"), RejectReason.UNKNOWN_TENANT));
        corpus.add(bad("content after the JSON value", "{\"op\":\"c\",\"after\":{}} {\"op\":\"d\"}", RejectReason.UNPARSEABLE));
        corpus.add(new Bad("invalid UTF-8", TOPIC, b("{\"id\":1}"),
                new byte[] {'{', '"', 'o', 'p', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, RejectReason.UNPARSEABLE));
        corpus.add(bad("nesting beyond the parser's limit", "[".repeat(5000) + "]".repeat(5000), RejectReason.UNPARSEABLE));
        return corpus;
    }

    @Test
    void everyBadInputLandsOnTheDlqWithItsReasonAndCountsBalance() {
        List<Bad> corpus = corpus();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(30);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "corpus");
        IngestConfig config = new IngestConfig(null, null, null, List.of("acme", "globex"), null, null, null, null, null, null, null);
        try (TopologyTestDriver driver = new TopologyTestDriver(IngestTopology.topology(config), props)) {
            var changes = driver.createOutputTopic(Topics.CHANGES.name(), Topics.CHANGES.keySerde().deserializer(),
                    Topics.CHANGES.valueSerde().deserializer());
            var dlq = driver.createOutputTopic(Topics.INGEST_DLQ.name(), Topics.INGEST_DLQ.keySerde().deserializer(),
                    Topics.INGEST_DLQ.valueSerde().deserializer());
            List<CdcRecord> goods = new CdcGenerator(CdcGenerator.Options.of(corpus.size() + 1, "acme")).generate();
            int in = 0;
            for (int i = 0; i < corpus.size(); i++) {
                pipe(driver, goods.get(i).topic(), goods.get(i).key(), goods.get(i).value());
                Bad bad = corpus.get(i);
                pipe(driver, bad.topic(), bad.key(), bad.value());
                in += 2;
            }
            pipe(driver, goods.get(corpus.size()).topic(), goods.get(corpus.size()).key(), goods.get(corpus.size()).value());
            in++;

            List<ChangeEvent> out = changes.readValuesToList();
            List<DeadLetter> letters = dlq.readValuesToList();
            assertThat(out.size() + letters.size()).as("in = out + DLQ").isEqualTo(in);
            assertThat(out).hasSize(corpus.size() + 1);
            assertThat(letters).hasSize(corpus.size());
            for (int i = 0; i < corpus.size(); i++) {
                assertThat(letters.get(i).getReason()).as("%s (%s)", corpus.get(i).what(), letters.get(i).getDetail())
                        .isEqualTo(corpus.get(i).reason());
                assertThat(letters.get(i).getSource().getTopic()).isEqualTo(corpus.get(i).topic());
                assertThat(letters.get(i).getDetail()).isNotBlank().doesNotContain("xxxxxxxx");
            }
        }
    }

    @Test
    void schemaChangeAndTransactionEventsAreKeptNotRejected() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "corpus-other");
        try (TopologyTestDriver driver = new TopologyTestDriver(IngestTopology.topology(IngestConfig.defaults()), props)) {
            var changes = driver.createOutputTopic(Topics.CHANGES.name(), Topics.CHANGES.keySerde().deserializer(),
                    Topics.CHANGES.valueSerde().deserializer());
            pipe(driver, "cdc.acme.schema-changes", b("{\"databaseName\":\"acme\"}"), b("{\"source\":{\"db\":\"acme\","
                    + "\"schema\":\"public\",\"table\":\"orders\"},\"ddl\":\"ALTER TABLE orders ADD COLUMN note text\","
                    + "\"tableChanges\":[],\"ts_ms\":5}"));
            pipe(driver, "cdc.acme.transaction", b("{\"id\":\"571\"}"), b("{\"status\":\"END\",\"id\":\"571\",\"event_count\":2,"
                    + "\"data_collections\":[],\"ts_ms\":6}"));
            List<ChangeEvent> out = changes.readValuesToList().stream().map(ChangeEvents::withText).toList();
            assertThat(out).extracting(ChangeEvent::getOp).containsExactly(Op.OTHER, Op.OTHER);
            assertThat(out.get(0).getTable()).isEqualTo("public.orders");
            assertThat(out.get(0).getAfter()).contains("ALTER TABLE orders");
            assertThat(out.get(1).getAfter()).contains("\"status\":\"END\"");
        }
    }

    private static void pipe(TopologyTestDriver driver, String topic, byte[] key, byte[] value) {
        TestInputTopic<byte[], byte[]> input = driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
        input.pipeInput(key, value);
    }
}
