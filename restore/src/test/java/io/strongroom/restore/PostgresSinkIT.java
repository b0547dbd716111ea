package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import io.strongroom.testkit.Postgres;
import org.junit.jupiter.api.Test;

/** Without a DDL file and without column types in the events, a restore into a missing table stops and says what to do. */
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
}
