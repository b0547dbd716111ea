package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MaskingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ChangeEvent event(String after) {
        return ChangeEvent.newBuilder().setEventId("e").setTenant("acme").setTable("public.customers").setOp(Op.CREATE)
                .setClassification(Classification.RESTRICTED).setKey("{\"id\":7}").setAfter(after)
                .setSource(new SourcePosition("t", 0, 0L, 0L)).build();
    }

    @Test
    void listedColumnsGetDeterministicKeyedMasksOfTheSameKindAndNothingElseChanges() throws Exception {
        Masking masking = new Masking(Set.of("name", "ssn", "salary"), new byte[32]);
        ChangeEvent e = event("{\"id\":7,\"name\":\"Ada Lovelace SR-CANARY\",\"ssn\":123456789,\"salary\":-1234.5,\"city\":\"London\",\"nick\":null}");
        JsonNode a = JSON.readTree(masking.apply(e).getAfter());
        JsonNode again = JSON.readTree(masking.apply(e).getAfter());
        JsonNode otherKey = JSON.readTree(new Masking(Set.of("name"), new byte[] {1}).apply(e).getAfter());

        assertThat(a.get("name").asText()).matches("masked-[0-9a-f]{16}").doesNotContain("Ada");
        assertThat(a.get("ssn").isIntegralNumber()).isTrue();
        assertThat(a.get("ssn").asLong()).isNotEqualTo(123456789L);
        assertThat(a.get("salary").isNumber()).isTrue();
        assertThat(a.get("salary").asDouble()).isNegative();
        assertThat(a.get("city").asText()).isEqualTo("London");
        assertThat(a.get("nick").isNull()).isTrue();
        assertThat(a).as("deterministic under one key").isEqualTo(again);
        assertThat(otherKey.get("name")).as("another key, another mask").isNotEqualTo(a.get("name"));
        assertThat(JSON.readTree(masking.apply(e).getKey())).isEqualTo(JSON.readTree("{\"id\":7}"));
    }

    @Test
    void unmaskedNumbersKeepTheirValueAndTheOriginalBytesThatHoldEveryColumnAreDropped() {
        Masking masking = new Masking(Set.of("id", "name"), new byte[32]);
        String after = "{\"id\":7,\"name\":\"Ada\",\"balance\":1234567890.123456789012,\"big\":18446744073709551617}";
        ChangeEvent e = ChangeEvent.newBuilder(event(after))
                .setOriginalKey(ByteBuffer.wrap("{\"id\":7}".getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(("{\"after\":" + after + ",\"op\":\"c\"}").getBytes(StandardCharsets.UTF_8)))
                .build();
        ChangeEvent m = masking.apply(e);

        assertThat(m.getAfter()).contains("\"balance\":1234567890.123456789012", "\"big\":18446744073709551617")
                .doesNotContain("Ada");
        assertThat(m.getOriginalValue()).as("the source's value shows every column unmasked").isNull();
        String key = StandardCharsets.UTF_8.decode(m.getOriginalKey()).toString();
        assertThat(key).as("the original key would show the masked id").isEqualTo(m.getKey()).doesNotContain("\"id\":7");
        assertThat(new Masking(Set.of("ssn"), new byte[32]).apply(e).getAfter()).as("nothing to mask: the row as it was")
                .isEqualTo(after);
    }

    @Test
    void aRecordOfARawTopicCannotBeMaskedAndStopsTheRestoreNamingIt() {
        ChangeEvent raw = ChangeEvent.newBuilder(event(null)).setOp(Op.RECORD).setKey(null).setTable("raw.acme.orders")
                .setEventId("raw.acme.orders/0/5").setOriginalValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 1, 2})).build();
        assertThatThrownBy(() -> new Masking(Set.of("name"), new byte[32]).apply(raw))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("raw.acme.orders/0/5")
                .hasMessageContaining("opaque");
    }
}
