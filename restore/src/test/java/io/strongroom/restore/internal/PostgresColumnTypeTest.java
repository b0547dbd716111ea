package io.strongroom.restore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Column types from events become SQL only as names of the list with modifiers in range, spelled by us. */
class PostgresColumnTypeTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "int2|smallint", "int4|integer", "INT8|bigint", "integer|integer", "bigint|bigint", "smallint|smallint",
        "numeric|numeric", "numeric(0)|numeric", "numeric(0,0)|numeric", "numeric(131089,0)|numeric", "_numeric(131089,0)|numeric[]", "numeric(14,4)|numeric(14,4)", "decimal(10)|numeric(10)", "numeric( 5 , -2 )|numeric(5,-2)",
        "real|real", "float4|real", "float8|double precision", "double  precision|double precision", "float(24)|float(24)",
        "bool|boolean", "boolean|boolean", "text|text", "varchar|varchar", "varchar(255)|varchar(255)",
        "character varying(10)|varchar(10)", "bpchar|bpchar", "bpchar(3)|bpchar(3)", "char(1)|char(1)", "bytea|bytea",
        "date|date", "time|time", "time(3)|time(3)", "timetz|timetz", "timestamp|timestamp", "timestamptz(6)|timestamptz(6)",
        "timestamp with time zone|timestamptz", "interval|interval", "uuid|uuid", "json|json", "jsonb|jsonb", "xml|xml",
        "inet|inet", "cidr|cidr", "macaddr|macaddr", "money|money", "bit(8)|bit(8)", "varbit(64)|varbit(64)",
        "point|point", "_int4|integer[]", "_VARCHAR|varchar[]", "int4[]|integer[]", "numeric(10,2)[]|numeric(10,2)[]",
        "text[][]|text[][]", "_text[]|text[][]", "pg_lsn|pg_lsn", "tstzrange|tstzrange"})
    void plainTypesAreSpelledByTheList(String type, String sql) {
        assertThat(PostgresColumnType.sql(type)).isEqualTo(sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {"int); DROP TABLE x; --", "int default (pg_sleep(10))", "int default 1",
        "integer generated always as (id * 2) stored", "text collate \"C\"", "int check (false)", "int not null",
        "int references x", "\"int4\"", "int4;", "pg_sleep(10)", "numeric(1001)", "numeric(10,1001)", "numeric(0,2)",
        "varchar(0)", "varchar(1,2)", "text(5)", "timestamp(7)", "float(54)", "mood", "public.int4", "int4[1]",
        "int4[][][][][][][]", "numeric(99999999999)", "", " ", "int4 array", "serial"})
    void anythingElseIsRefused(String type) {
        assertThatThrownBy(() -> PostgresColumnType.sql(type)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theReasonSaysWhatIsWrong() {
        assertThatThrownBy(() -> PostgresColumnType.sql("numeric(2000,2)")).hasMessage("numeric's first modifier must be 1–1000");
        assertThatThrownBy(() -> PostgresColumnType.sql("mood")).hasMessage("'mood' is not one of the PostgreSQL types a restore creates");
        assertThatThrownBy(() -> PostgresColumnType.sql("int default (pg_sleep(10))"))
                .hasMessage("not a type name with optional integer modifiers and []");
    }
}
