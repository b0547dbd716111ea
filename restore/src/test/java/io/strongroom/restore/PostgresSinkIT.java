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
}
