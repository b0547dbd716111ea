package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CdcGeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sameSeedGivesSameRecordsAndOtherSeedDiffers() {
        var options = CdcGenerator.Options.of(500, "acme", "globex");
        List<CdcRecord> a = new CdcGenerator(options).generate();
        List<CdcRecord> b = new CdcGenerator(options).generate();
        List<CdcRecord> c = new CdcGenerator(options.withSeed(7)).generate();
        assertThat(a).hasSize(500);
        assertThat(a).zipSatisfy(b, (x, y) -> {
            assertThat(x.key()).isEqualTo(y.key());
            assertThat(x.value()).isEqualTo(y.value());
        });
        assertThat(a.stream().map(r -> new String(r.key())).toList())
                .isNotEqualTo(c.stream().map(r -> new String(r.key())).toList());
    }

    @Test
    void coversEveryOpTombstonesAfterDeletesAndEveryTenantAndTable() throws Exception {
        List<CdcRecord> records = new CdcGenerator(CdcGenerator.Options.of(3000, "acme", "globex", "initech")).generate();
        Map<String, Long> ops = records.stream().collect(Collectors.groupingBy(r -> String.valueOf(r.op()), Collectors.counting()));
        assertThat(ops).containsKeys("c", "u", "d", "r", "null");
        assertThat(records.stream().map(CdcRecord::topic).distinct()).hasSize(9);
        for (int i = 0; i < records.size() - 1; i++) {
            if ("d".equals(records.get(i).op())) {
                CdcRecord next = records.get(i + 1);
                assertThat(next.value()).as("tombstone after delete at %d", i).isNull();
                assertThat(next.key()).isEqualTo(records.get(i).key());
            }
        }
        JsonNode update = JSON.readTree(records.stream().filter(r -> "u".equals(r.op())).findFirst().orElseThrow().value());
        assertThat(update.get("before").get("id")).isEqualTo(update.get("after").get("id"));
        assertThat(update.get("source").get("connector").asText()).isEqualTo("postgresql");
    }

    @Test
    void updatesAndDeletesReferToRowsCreatedBefore() throws Exception {
        Map<String, Boolean> live = new HashMap<>();
        for (CdcRecord r : new CdcGenerator(CdcGenerator.Options.of(2000, "acme")).generate()) {
            String key = r.topic() + new String(r.key());
            switch (String.valueOf(r.op())) {
                case "c", "r" -> assertThat(live.put(key, true)).as("create of a new row %s", key).isNull();
                case "u" -> assertThat(live).as("update of a live row").containsKey(key);
                case "d" -> assertThat(live.remove(key)).as("delete of a live row").isTrue();
                default -> assertThat(r.value()).isNull();
            }
        }
    }

    @Test
    void canaryAppearsAtAboutTheConfiguredRate() {
        List<CdcRecord> records = new CdcGenerator(CdcGenerator.Options.of(4000, "acme")).generate();
        long withCanary = records.stream().filter(r -> r.valueContains(CdcGenerator.DEFAULT_CANARY)).count();
        assertThat(withCanary).isBetween(50L, 800L);
    }

    @Test
    void withSchemaEmbedsConnectSchemasForKeyAndValue() throws Exception {
        CdcRecord first = new CdcGenerator(CdcGenerator.Options.of(1, "acme").withSchema(true)).generate().get(0);
        JsonNode value = JSON.readTree(first.value());
        JsonNode key = JSON.readTree(first.key());
        assertThat(value.get("schema").get("name").asText()).endsWith(".Envelope");
        assertThat(value.get("payload").get("op").asText()).isEqualTo("r");
        assertThat(key.get("payload").get("id")).isNotNull();
        assertThat(value.get("schema").get("fields").get(1).get("field").asText()).isEqualTo("after");
    }
}
