package io.strongroom.restore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Column types of automatically created tables, from row schemas as Debezium's PostgreSQL connector sends them. */
class DebeziumColumnTypesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String sql(String schemaJson) throws Exception {
        return DebeziumColumnTypes.sql(ConnectField.of(JSON.readTree(schemaJson)));
    }

    private static String p(String type, String length, String scale) {
        return "\"parameters\":{\"__debezium.source.column.type\":\"" + type + "\",\"__debezium.source.column.length\":\"" + length
                + "\"" + (scale == null ? "" : ",\"__debezium.source.column.scale\":\"" + scale + "\"") + "}";
    }

    @ParameterizedTest(name = "{0}/{1}/{2}/{3} -> {4}")
    @CsvSource(delimiter = '|', value = {
        "string|NUMERIC|0||numeric", // plain numeric, string mode (snapshot: length 0, no scale)
        "string|_NUMERIC|131089|0|numeric[]", // plain numeric[] (pgjdbc's length)
        "string|NUMERIC|14|4|numeric(14,4)",
        "string|_NUMERIC|10|2|numeric(10,2)[]",
        "int32|DATE|13|0|date", "int32|_DATE|13|0|date[]",
        "int32|TIME|12|3|time(3)", "int64|TIMESTAMP|29|6|timestamp(6)", "string|TIMESTAMPTZ|35|6|timestamptz(6)",
        "string|TIMETZ|21|6|timetz(6)", "int64|INTERVAL|49|6|interval(6)", "string|MONEY|2147483647|0|money",
        "string|JSONB|2147483647|0|jsonb", "string|UUID|2147483647|0|uuid", "boolean|BIT|1|0|bit(1)",
        "bytes|VARBIT|16|0|varbit(16)", "string|VARCHAR|20|0|varchar(20)", "string|BPCHAR|5|0|bpchar(5)",
        "string|HSTORE|2147483647|0|hstore", "string|LTREE|2147483647|0|ltree", "string|XML|2147483647|0|xml",
        "string|INET|2147483647|0|inet", "string|MACADDR8|2147483647|0|macaddr8", "string|INT4RANGE|2147483647|0|int4range",
        "int32|_INT4|10|0|integer[]", "double|FLOAT8|17|17|double precision", "string|TEXT|2147483647|0|text"})
    void theSourceColumnTypeComesFirst(String type, String source, String length, String scale, String expected) throws Exception {
        assertThat(sql("{\"type\":\"" + type + "\"," + p(source, length, scale) + "}")).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Enum\",\"parameters\":{\"allowed\":\"a,b\",\"__debezium.source.column.type\":\"MOOD\"}}|text",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"name\":\"io.debezium.data.Enum\"},\"parameters\":{\"__debezium.source.column.type\":\"_MOOD\"}}|text[]",
        "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\"}|date",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\"}|timestamp",
        "{\"type\":\"string\",\"name\":\"io.debezium.time.ZonedTimestamp\"}|timestamptz",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\"}|interval",
        "{\"type\":\"struct\",\"name\":\"io.debezium.data.VariableScaleDecimal\",\"fields\":[]}|numeric",
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"4\",\"connect.decimal.precision\":\"14\"}}|numeric(14,4)",
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"2\"}}|numeric",
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"}}|hstore",
        "{\"type\":\"array\",\"items\":{\"type\":\"int64\"}}|bigint[]",
        "{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\",\"parameters\":{\"length\":\"12\"}}|varbit(12)"})
    void withoutAUsableSourceTypeTheSemanticTypeDecides(String schemaJson, String expected) throws Exception {
        assertThat(sql(schemaJson)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"struct\",\"name\":\"io.debezium.data.geometry.Geometry\",\"fields\":[]}|io.debezium.data.geometry.Geometry",
        "{\"type\":\"struct\",\"fields\":[],\"parameters\":{\"__debezium.source.column.type\":\"MYTYPE\"}}|source type mytype"})
    void aTypeWithoutAMappingIsRefusedNamingIt(String schemaJson, String named) {
        assertThatThrownBy(() -> sql(schemaJson)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(named);
    }
}
