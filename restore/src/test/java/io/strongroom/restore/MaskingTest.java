package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
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
}
