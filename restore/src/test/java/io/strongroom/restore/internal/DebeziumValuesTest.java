package io.strongroom.restore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Values exactly as Debezium 3.6's PostgreSQL connector and JsonConverter sent them (captured from a real PostgreSQL 15
 * table with each type, in default and alternative modes), and the PostgreSQL text a restore binds for them.
 */
class DebeziumValuesTest {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

    private static ConnectField schema(String json) throws Exception {
        return ConnectField.of(JSON.readTree(json));
    }

    private static String literal(String schemaJson, String valueJson) throws Exception {
        ConnectField f = schema(schemaJson);
        DebeziumValues.check(f);
        return DebeziumValues.literal(f, JSON.readTree(valueJson), null);
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // time.precision.mode=adaptive (default)
        "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\",\"version\":1}|11017|2000-03-01",
        "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\",\"version\":1}|-719162|0001-01-01",
        "{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\",\"version\":1}|-719163|0001-12-31 BC",
        "{\"type\":\"int32\",\"name\":\"io.debezium.time.Time\",\"version\":1}|36672345|10:11:12.345000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTime\",\"version\":1}|86399999999|23:59:59.999999",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTime\",\"version\":1}|86400000000|24:00:00.000000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.Timestamp\",\"version\":1}|1772359200123|2026-03-01 10:00:00.123000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1}|-999999|1969-12-31 23:59:59.000001",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1}|-9223372036832400000|-infinity",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1}|9223372036825200000|infinity",
        "{\"type\":\"string\",\"name\":\"io.debezium.time.ZonedTimestamp\",\"version\":1}|\"2026-03-01T04:30:00.123456Z\"|2026-03-01T04:30:00.123456Z",
        "{\"type\":\"string\",\"name\":\"io.debezium.time.ZonedTime\",\"version\":1}|\"10:00:00.5Z\"|10:00:00.5Z",
        // time.precision.mode=nanoseconds
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTime\",\"version\":1}|36672345000000|10:11:12.345000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTimestamp\",\"version\":1}|-999999000|1969-12-31 23:59:59.000001",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTimestamp\",\"version\":1}|-9223372036854775808|-infinity",
        // time.precision.mode=connect
        "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\",\"version\":1}|10957|2000-01-01",
        "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\",\"version\":1}|86399999|23:59:59.999000",
        "{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1}|-1000|1969-12-31 23:59:59.000000",
        "{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1}|-9223372036832400|-infinity",
        // interval.handling.mode numeric (default) and string
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\",\"version\":1}|37091106500000|14 mons 3 days 04:05:06.500000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\",\"version\":1}|-86401000000|-0 mons -1 days -00:00:01.000000",
        "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\",\"version\":1}|2629800000000|1 mons 0 days 00:00:00.000000",
        "{\"type\":\"string\",\"name\":\"io.debezium.time.Interval\",\"version\":1}|\"P1Y2M3DT4H5M6.5S\"|P1Y2M3DT4H5M6.5S",
        "{\"type\":\"string\",\"name\":\"io.debezium.time.Interval\",\"version\":1}|\"P0Y0M-1DT0H0M-1S\"|P0Y0M-1DT0H0M-1S",
        // decimal.handling.mode precise (Debezium's default): numeric(14,4), money, plain numeric
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"4\",\"connect.decimal.precision\":\"14\"}}|\"ALxeqA==\"|1234.5000",
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}}|\"AeJA\"|1234.56",
        "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}}|\"/zg=\"|-2.00",
        "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}],\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1}|{\"scale\":35,\"value\":\"PIE/ZjbZhPJZW2o3KlPQ\"}|3.14159265358979323846264338327950288",
        // decimal.handling.mode string and double: as sent
        "{\"type\":\"string\"}|\"3.14159265358979323846264338327950288\"|3.14159265358979323846264338327950288",
        "{\"type\":\"double\"}|3.141592653589793|3.141592653589793",
        "{\"type\":\"double\"}|1234.5|1234.5",
        "{\"type\":\"int64\"}|9223372036854775807|9223372036854775807",
        // bits: bit(12), varbit(16) (leading zeros are not sent), bit(1) as a boolean
        "{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\",\"version\":1,\"parameters\":{\"length\":\"12\",\"__debezium.source.column.type\":\"BIT\"}}|\"AQo=\"|101000000001",
        "{\"type\":\"bytes\",\"name\":\"io.debezium.data.Bits\",\"version\":1,\"parameters\":{\"length\":\"16\",\"__debezium.source.column.type\":\"VARBIT\"}}|\"Cw==\"|1011",
        "{\"type\":\"boolean\",\"parameters\":{\"__debezium.source.column.type\":\"BIT\"}}|true|1",
        "{\"type\":\"boolean\",\"parameters\":{\"__debezium.source.column.type\":\"BOOL\"}}|false|false",
        // bytea (binary.handling.mode bytes, base64)
        "{\"type\":\"bytes\"}|\"AP8=\"|\\x00ff",
        "{\"type\":\"string\",\"parameters\":{\"__debezium.source.column.type\":\"BYTEA\"}}|\"AP8=\"|\\x00ff",
        // text types
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Json\",\"version\":1}|\"{\\\"a\\\": [1, 2.50]}\"|{\"a\": [1, 2.50]}",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Uuid\",\"version\":1}|\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Enum\",\"version\":1,\"parameters\":{\"allowed\":\"happy,sad\"}}|\"sad\"|sad",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Xml\",\"version\":1}|\"<a>x</a>\"|<a>x</a>",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Ltree\",\"version\":1}|\"top.science.astronomy\"|top.science.astronomy",
        "{\"type\":\"string\",\"parameters\":{\"__debezium.source.column.type\":\"INET\"}}|\"192.168.0.1/24\"|192.168.0.1/24",
        "{\"type\":\"string\",\"parameters\":{\"__debezium.source.column.type\":\"MACADDR\"}}|\"08:00:2b:01:02:03\"|08:00:2b:01:02:03",
        "{\"type\":\"string\",\"parameters\":{\"__debezium.source.column.type\":\"BPCHAR\"}}|\"ab   \"|'ab   '",
        // hstore: json mode (default) and map mode
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Json\",\"version\":1,\"parameters\":{\"__debezium.source.column.type\":\"HSTORE\"}}|\"{\\\"a\\\":\\\"1\\\",\\\"b c\\\":null}\"|\"a\"=>\"1\", \"b c\"=>NULL",
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false},\"values\":{\"type\":\"string\",\"optional\":true}}|{\"a\":\"1\",\"q\\\"\":\"x\\\\y\"}|\"a\"=>\"1\", \"q\\\"\"=>\"x\\\\y\"",
    })
    void decodesEachEncodingToPostgresText(String schemaJson, String valueJson, String expected) throws Exception {
        assertThat(literal(schemaJson, valueJson)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"int32\",\"optional\":true}|[9,10,null]|{\"9\",\"10\",NULL}",
        "{\"type\":\"string\",\"optional\":true}|[\"a b\",\"c\\\"d\",null,\"e\\\\f\"]|{\"a b\",\"c\\\"d\",NULL,\"e\\\\f\"}",
        "{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Date\",\"version\":1}|[10957,null]|{\"2000-01-01\",NULL}",
        "{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"}}|[\"AJY=\",\"/zg=\"]|{\"1.50\",\"-2.00\"}",
        "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Json\",\"version\":1}|[\"{\\\"k\\\": 1}\"]|{\"{\\\"k\\\": 1}\"}",
        "{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.time.ZonedTimestamp\",\"version\":1}|[\"2026-03-01T10:00:00.000000Z\"]|{\"2026-03-01T10:00:00.000000Z\"}",
        "{\"type\":\"boolean\",\"optional\":true}|[true,false]|{\"true\",\"false\"}",
        "{\"type\":\"double\",\"optional\":true}|[1.5,-0.25]|{\"1.5\",\"-0.25\"}",
        "{\"type\":\"bytes\",\"optional\":true}|[\"3q0=\"]|{\"\\\\xdead\"}",
        "{\"type\":\"string\",\"optional\":false,\"name\":\"io.debezium.data.Enum\",\"version\":1,\"parameters\":{\"allowed\":\"happy,sad\"}}|[\"happy\",\"sad\"]|{\"happy\",\"sad\"}",
        "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"field\":\"scale\"},{\"type\":\"bytes\",\"field\":\"value\"}],\"optional\":true,\"name\":\"io.debezium.data.VariableScaleDecimal\",\"version\":1}|[{\"scale\":1,\"value\":\"Dw==\"},null]|{\"1.5\",NULL}",
        "{\"type\":\"int32\",\"optional\":true}|[]|{}",
    })
    void decodesArraysToArrayLiterals(String itemsJson, String valueJson, String expected) throws Exception {
        assertThat(literal("{\"type\":\"array\",\"items\":" + itemsJson + ",\"optional\":true}", valueJson)).isEqualTo(expected);
    }

    @Test
    void nullIsNull() throws Exception {
        assertThat(literal("{\"type\":\"int32\",\"name\":\"io.debezium.time.Date\",\"version\":1}", "null")).isNull();
        assertThat(literal("{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}", "null")).isNull();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"string\"}|\"__debezium_unavailable_value\"",
        "{\"type\":\"bytes\"}|\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Json\",\"version\":1}|\"__debezium_unavailable_value\"",
        "{\"type\":\"string\",\"name\":\"io.debezium.data.Json\",\"version\":1,\"parameters\":{\"__debezium.source.column.type\":\"HSTORE\"}}|\"{\\\"__debezium_unavailable_value\\\":\\\"__debezium_unavailable_value\\\"}\"",
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\",\"optional\":true}}|{\"__debezium_unavailable_value\":\"__debezium_unavailable_value\"}",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}|[\"__debezium_unavailable_value\"]",
        "{\"type\":\"array\",\"items\":{\"type\":\"bytes\"}}|[\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"]",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"name\":\"io.debezium.data.Uuid\"}}|[\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"]",
        "{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}|[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]",
    })
    void recognisesTheToastPlaceholderInEachForm(String schemaJson, String valueJson) throws Exception {
        assertThat(DebeziumValues.unavailable(schema(schemaJson), JSON.readTree(valueJson))).isTrue();
    }

    @Test
    void theUuidPlaceholderIsDebeziumsNameUuidOfThePlaceholderBytes() {
        assertThat(UUID.nameUUIDFromBytes("__debezium_unavailable_value".getBytes(StandardCharsets.UTF_8)).toString())
                .isEqualTo("b68a35a7-17ad-35b3-af2a-ae46edb4545a");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"string\"}|\"a value\"", "{\"type\":\"array\",\"items\":{\"type\":\"int32\"}}|[1,2]",
        "{\"type\":\"bytes\"}|\"AP8=\"", "{\"type\":\"string\"}|null"})
    void realValuesAreNotThePlaceholder(String schemaJson, String valueJson) throws Exception {
        assertThat(DebeziumValues.unavailable(schema(schemaJson), JSON.readTree(valueJson))).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"type\":\"struct\",\"name\":\"io.debezium.data.geometry.Geometry\",\"fields\":[]}|io.debezium.data.geometry.Geometry",
        "{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"name\":\"io.debezium.data.geometry.Geography\"}}|io.debezium.data.geometry.Geography",
        "{\"type\":\"struct\",\"fields\":[]}|struct",
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"int32\"}}|map"})
    void refusesTypesItCannotDecodeNamingThem(String schemaJson, String named) throws Exception {
        assertThatThrownBy(() -> DebeziumValues.check(schema(schemaJson))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named);
    }

    @Test
    void aMicroDurationOfWholeDebeziumMonthsIsMonthsAgain() {
        // Debezium: ((years * 12 + months) * 365.25 / 12 + days) days, in µs
        long oneYearTwoMonths = (long) (14 * (365.25 / 12) * 86_400 * 1e6);
        assertThat(DebeziumValues.interval(oneYearTwoMonths)).isEqualTo("14 mons 0 days 00:00:00.000000");
        assertThat(DebeziumValues.interval(0)).isEqualTo("0 mons 0 days 00:00:00.000000");
    }

    @Test
    void aTargetBitColumnGetsOneOrZeroForABoolean() throws Exception {
        ConnectField f = schema("{\"type\":\"boolean\"}");
        JsonNode t = JSON.readTree("true");
        assertThat(DebeziumValues.literal(f, t, "bit")).isEqualTo("1");
        assertThat(DebeziumValues.literal(f, t, "bool")).isEqualTo("true");
    }
}
