package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.testkit.Postgres;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Without a DDL file and without column types in the events, a restore into a missing table stops and says what to do;
 * column types that are not plain PostgreSQL types stop it before any SQL runs.
 */
class PostgresSinkIT {
    @Test
    void aMissingTableWithoutColumnTypesOrDdlStopsTheRestoreAskingForDdl() throws Exception {
        Postgres.requireAvailable();
        try (Postgres.Database db = Postgres.createDatabase("sr_sink_it");
                PostgresSink sink = new PostgresSink(Postgres.jdbcUrl(db.name()) + "?user=" + Postgres.USER, Postgres.PASSWORD, null)) {
            ChangeEvent e = ChangeEvent.newBuilder().setEventId("e").setTenant("acme").setTable("public.orders").setOp(Op.CREATE)
                    .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":1}").setAfter("{\"id\":1,\"total\":\"2.50\"}")
                    .setSource(new SourcePosition("t", 0, 0L, 0L)).build();
            assertThatThrownBy(() -> sink.accept(e)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("table public.orders does not exist in the target database and the events carry no column types; "
                            + "create it, or give --ddl FILE with its CREATE TABLE");
            sink.abort();
            db.execute("CREATE TABLE orders (id integer PRIMARY KEY, total numeric(10,2))");
            sink.accept(e);
            sink.commit();
            try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT total FROM orders WHERE id = 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBigDecimal(1)).isEqualByComparingTo("2.50");
            }
        }
    }

    /** The tables of the public schema, sorted. */
    private static List<String> tables(Postgres.Database db) throws Exception {
        List<String> tables = new ArrayList<>();
        try (var c = db.connect(); var s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    @Test
    void aColumnTypeCarryingSqlIsRefused() throws Exception {
        Postgres.requireAvailable();
        AvroSerde<ChangeEvent> avro = AvroSerde.of(ChangeEvent.class);
        for (String type : List.of("int); DROP TABLE x; --", "int default (pg_sleep(10))",
                "integer generated always as (id * 2) stored", "text collate \"C\"", "int check (false)")) {
            try (Postgres.Database db = Postgres.createDatabase("sr_sink_sql_it");
                    PostgresSink sink = new PostgresSink(Postgres.jdbcUrl(db.name()) + "?user=" + Postgres.USER, Postgres.PASSWORD,
                            null)) {
                db.execute("CREATE TABLE x (id integer PRIMARY KEY)", "INSERT INTO x VALUES (7)");
                // a service producing ChangeEvent Avro directly: nothing at ingest looked at its column types
                ChangeEvent sent = ChangeEvent.newBuilder().setEventId("e").setTenant("acme").setTable("public.orders")
                        .setOp(Op.CREATE).setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":1}")
                        .setAfter("{\"id\":1,\"total\":2}").setColumns("{\"id\":\"integer\",\"total\":"
                                + new ObjectMapper().writeValueAsString(type) + "}")
                        .setSource(new SourcePosition("t", 0, 0L, 0L)).build();
                ChangeEvent e = avro.decode("test", avro.encode(sent));

                Throwable refused = catchThrowable(() -> {
                    sink.accept(e);
                    sink.commit();
                });
                sink.abort();

                assertThat(tables(db)).as("tables after a restore of a column typed %s", type).containsExactly("x");
                try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT id FROM x")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(7);
                }
                assertThat(refused).as("a column typed %s", type).isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("column public.orders.total has type '" + type + "', which is not a PostgreSQL "
                                + "type a restore creates tables with");
            }
        }
    }

    private static final String ROW_SCHEMA = "{\"type\":\"struct\",\"fields\":["
            + "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
            + "{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Date\",\"version\":1,\"field\":\"d\"},"
            + "{\"type\":\"string\",\"optional\":true,\"parameters\":{\"__debezium.source.column.type\":\"NUMERIC\","
            + "\"__debezium.source.column.length\":\"0\"},\"field\":\"n\"},"
            + "{\"type\":\"array\",\"items\":{\"type\":\"int32\",\"optional\":true},\"optional\":true,\"field\":\"ia\"},"
            + "{\"type\":\"string\",\"optional\":true,\"field\":\"big\"}"
            + "%s],\"optional\":true,\"name\":\"cdc.public.t.Value\",\"field\":\"after\"}";

    private static ChangeEvent event(String id, Op op, String after, String rowSchema) {
        return ChangeEvent.newBuilder().setEventId(id).setTenant("acme").setTable("public.t").setOp(op)
                .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":1}").setAfter(after).setRowSchema(rowSchema)
                .setSource(new SourcePosition("t", 0, 0L, 0L)).build();
    }

    @Test
    void rowsAreDecodedByTheirSchemaTheTableCreatedFromItAndAToastPlaceholderKeepsTheStoredValue() throws Exception {
        Postgres.requireAvailable();
        String schema = String.format(ROW_SCHEMA, "");
        try (Postgres.Database db = Postgres.createDatabase("sr_sink_schema_it");
                PostgresSink sink = new PostgresSink(Postgres.jdbcUrl(db.name()) + "?user=" + Postgres.USER, Postgres.PASSWORD, null)) {
            sink.accept(event("e1", Op.READ, "{\"id\":1,\"d\":11022,\"n\":\"1.000000000000000000001\",\"ia\":[9,10],"
                    + "\"big\":\"kept\"}", schema));
            sink.accept(event("e2", Op.UPDATE, "{\"id\":1,\"d\":11023,\"n\":\"2\",\"ia\":[9,null],"
                    + "\"big\":\"__debezium_unavailable_value\"}", schema));
            sink.commit();
            try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(
                    "SELECT t::text, format_type(a.atttypid, a.atttypmod) FROM t, pg_attribute a "
                            + "WHERE a.attrelid = 't'::regclass AND a.attname = 'n'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("(1,2000-03-07,2,\"{9,NULL}\",kept)");
                assertThat(rs.getString(2)).isEqualTo("numeric");
            }
        }
    }

    @Test
    void aTypeTheRestoreCannotDecodeStopsItBeforeAnythingIsWrittenNamingTableColumnAndType() throws Exception {
        Postgres.requireAvailable();
        String schema = String.format(ROW_SCHEMA, ",{\"type\":\"struct\",\"fields\":[{\"type\":\"bytes\",\"field\":\"wkb\"}],"
                + "\"optional\":true,\"name\":\"io.debezium.data.geometry.Geometry\",\"field\":\"shape\"}");
        try (Postgres.Database db = Postgres.createDatabase("sr_sink_refuse_it");
                PostgresSink sink = new PostgresSink(Postgres.jdbcUrl(db.name()) + "?user=" + Postgres.USER, Postgres.PASSWORD, null)) {
            Throwable refused = catchThrowable(() -> sink.accept(event("e1", Op.READ, "{\"id\":1,\"shape\":null}", schema)));
            sink.abort();
            assertThat(refused).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("column public.t.shape").hasMessageContaining("io.debezium.data.geometry.Geometry");
            assertThat(tables(db)).isEmpty();
        }
    }
}
