package io.strongroom.restore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import java.nio.ByteBuffer;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class EventJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Numbers a double cannot hold, and spellings a re-serializer would change. */
    private static final String ROW = "{\"id\": 18446744073709551617, \"balance\": 1234567890.123456789012,"
            + " \"pi\": 3.14159265358979323846264338327950288, \"tiny\": 1e-30, \"big\": 1.5E+300, \"nz\": -0, \"nzf\": -0.0,"
            + " \"trail\": 2.50, \"deep\": {\"v\": [12345678901234567890123]}, \"s\": \"\\u00e9\\n\"}";

    private static ChangeEvent.Builder event() {
        return ChangeEvent.newBuilder().setEventId("cdc.acme.public.t/0/1").setTenant("acme").setTable("public.t")
                .setOp(Op.UPDATE).setClassification(Classification.CONFIDENTIAL).setKey("{\"id\": 18446744073709551617}")
                .setBefore(ROW.replace("2.50", "2.5")).setAfter(ROW).setSourceInfo("{\"lsn\": 123456789012345678901}")
                .setEventTimeMs(1700L).setSource(new SourcePosition("cdc.acme.public.t", 0, 1L, 5L));
    }

    @Test
    void rowImagesKeyAndSourceAreWrittenAsTheirOwnTextEveryDigitAndSpellingKept() throws Exception {
        String line = EventJson.line(event().build());

        assertThat(line).contains("\"after\":" + ROW, "\"before\":" + ROW.replace("2.50", "2.5"),
                "\"key\":{\"id\": 18446744073709551617}", "\"sourceInfo\":{\"lsn\": 123456789012345678901}");
        assertThat(JSON.readTree(line).get("after").get("s").asText()).as("still one valid JSON object").isEqualTo("é\n");
        assertThat(EventJson.envelope(event().build())).isEqualTo("{\"before\":" + ROW.replace("2.50", "2.5") + ",\"after\":"
                + ROW + ",\"op\":\"u\",\"source\":{\"lsn\": 123456789012345678901},\"ts_ms\":1700}");
    }

    @Test
    void textThatIsNotExactlyOneJsonValueIsWrittenAsAStringSoEveryLineStaysValid() throws Exception {
        for (String bad : new String[] {"{\"a\":1} {\"b\":2}", "{\"a\":", "not json", "\"bad \\q escape\"", "", "1 2"}) {
            JsonNode n = JSON.readTree(EventJson.line(event().setAfter(bad).build()));
            assertThat(n.get("after").isTextual()).as(bad).isTrue();
            assertThat(n.get("after").asText()).isEqualTo(bad);
        }
        assertThat(JSON.readTree(EventJson.line(event().setAfter(" [1, 2] \n").build())).get("after").isArray()).isTrue();
    }

    @Test
    void aRawRecordCarriesItsValueInBase64() throws Exception {
        byte[] value = {0, 0, 0, 0, 1, (byte) 0xC8, 0x01};
        ChangeEvent raw = event().setOp(Op.RECORD).setKey(null).setBefore(null).setAfter(null).setSourceInfo(null)
                .setOriginalKey(ByteBuffer.wrap(new byte[] {(byte) 0xFF})).setOriginalValue(ByteBuffer.wrap(value)).build();
        JsonNode n = JSON.readTree(EventJson.line(raw));
        assertThat(Base64.getDecoder().decode(n.get("originalValueBase64").asText())).isEqualTo(value);
        assertThat(Base64.getDecoder().decode(n.get("originalKeyBase64").asText())).containsExactly((byte) 0xFF);
        assertThat(JSON.readTree(EventJson.line(event().setOriginalValue(ByteBuffer.wrap(value)).build()))
                .has("originalValueBase64")).as("a change's value is its fields").isFalse();
    }
}
