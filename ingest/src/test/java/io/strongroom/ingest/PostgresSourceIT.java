package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import io.strongroom.ingest.source.PostgresSource;
import io.strongroom.ingest.source.PostgresSourceConfig;
import io.strongroom.schemas.ChangeEvents;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.Postgres;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real CDC: PostgreSQL 15 → embedded Debezium (pgoutput) → CDC topic → ingest → strongroom.changes,
 * with a column of every common type, a snapshot, INSERT/UPDATE/DELETE, and a restart that resumes
 * from the saved position.
 */
class PostgresSourceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENANT = "pgacme";
    static EmbeddedKafka kafka;
    @TempDir static Path state;

    @BeforeAll
    static void start() {
        Postgres.requireAvailable();
        kafka = EmbeddedKafka.start();
        kafka.createTopics(3, Topics.CHANGES.name(), Topics.INGEST_DLQ.name());
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Map<String, Object> props() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private static List<ChangeEvent> changes() {
        List<ChangeEvent> out = new ArrayList<>();
        TopicReader.readToEnd(props(), Topics.CHANGES, r -> {
            if (r.value().getTenant().equals(TENANT)) {
                out.add(ChangeEvents.withText(r.value()));
            }
        });
        return out;
    }

    private static PostgresSourceConfig sourceConfig(String database) {
        return new PostgresSourceConfig(Postgres.HOST, Postgres.PORT, database, Postgres.USER, Postgres.PASSWORD, null,
                TENANT, List.of("public.accounts"), null, null, null, null, state.resolve("pg.offsets").toString(), null, null);
    }

    @Test
    void snapshotAndChangesFlowThroughIngestWithEveryValuePreservedAndTheSourceResumesAfterARestart() throws Exception {
        try (Postgres.Database db = Postgres.createDatabase("sr_ingest_it")) {
            db.execute("""
                    CREATE TABLE accounts (
                      id integer PRIMARY KEY,
                      name text,
                      balance numeric(14,4),
                      opened_at timestamptz,
                      profile jsonb,
                      avatar bytea,
                      active boolean)""",
                    "ALTER TABLE accounts REPLICA IDENTITY FULL",
                    "INSERT INTO accounts VALUES (1, 'Ada', 1234.5000, '2026-03-01 10:00:00.123456+00', '{\"tier\": \"gold\", \"tags\": [1, 2]}', '\\x00ff10', true)",
                    "INSERT INTO accounts VALUES (2, 'Grace Hopper', -0.0001, '1999-12-31 23:59:59+05:30', '[]', '\\x', false)",
                    "INSERT INTO accounts VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL)");

            IngestConfig ingestConfig = new IngestConfig("pg-it", null, null, null, null, null, null, null, null, null, null);
            try (IngestService ingest = IngestService.start(ingestConfig, props(), state.resolve("ingest"));
                    PostgresSource source = PostgresSource.start(sourceConfig(db.name()), props(), state)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> changes().stream().filter(e -> e.getOp() == Op.READ).count() == 3);
                db.execute(
                        "INSERT INTO accounts VALUES (4, 'Zoë ☃ \"quoted\"', 99999999.9999, '2026-11-29 08:15:00.5+01', '{\"nested\": {\"a\": null}}', decode('deadbeef00', 'hex'), true)",
                        "UPDATE accounts SET balance = 1300.2500, active = false, profile = '{\"tier\": \"platinum\"}' WHERE id = 1");
                db.execute("DELETE FROM accounts WHERE id = 2");
                await().atMost(Duration.ofSeconds(60)).until(() -> changes().stream().anyMatch(e -> e.getOp() == Op.DELETE));
                assertThat(source.stopped()).isNotDone();
            }

            List<ChangeEvent> first = changes();
            assertThat(first).extracting(ChangeEvent::getOp).containsExactlyInAnyOrder(
                    Op.READ, Op.READ, Op.READ, Op.CREATE, Op.UPDATE, Op.DELETE, Op.TOMBSTONE);
            assertThat(first).allMatch(e -> e.getTable().equals("public.accounts"));
            ChangeEvent delete = first.stream().filter(e -> e.getOp() == Op.DELETE).findFirst().orElseThrow();
            assertThat(JSON.readTree(delete.getBefore()).get("name").asText()).isEqualTo("Grace Hopper");
            ChangeEvent update = first.stream().filter(e -> e.getOp() == Op.UPDATE).findFirst().orElseThrow();
            assertThat(JSON.readTree(update.getBefore()).get("balance").asText()).isEqualTo("1234.5000");
            assertThat(JSON.readTree(update.getKey())).isEqualTo(JSON.readTree("{\"id\": 1}"));
            assertRowsMatchDatabase(first, db);

            // Stopped: changes made now must arrive after the restart, and nothing captured before may come again.
            db.execute("INSERT INTO accounts VALUES (5, 'while stopped', 1, now(), '{}', '\\x01', true)",
                    "UPDATE accounts SET name = 'renamed while stopped' WHERE id = 3");
            try (IngestService ingest = IngestService.start(ingestConfig, props(), state.resolve("ingest"));
                    PostgresSource source = PostgresSource.start(sourceConfig(db.name()), props(), state)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> changes().size() >= first.size() + 2);
            }
            List<ChangeEvent> all = changes();
            assertThat(all).hasSize(first.size() + 2);
            assertThat(all.stream().filter(e -> e.getOp() == Op.READ).count()).as("no second snapshot").isEqualTo(3);
            Map<String, Long> perPosition = all.stream().filter(e -> e.getOp() != Op.TOMBSTONE)
                    .collect(Collectors.groupingBy(e -> e.getKey() + "/" + e.getOp() + "/" + lsn(e), Collectors.counting()));
            assertThat(perPosition.values()).as("each change once").allMatch(n -> n == 1);
            assertRowsMatchDatabase(all, db);
        }
    }

    /** Replays the events by primary key and compares the result with the table, column by column. */
    private static void assertRowsMatchDatabase(List<ChangeEvent> events, Postgres.Database db) throws Exception {
        Map<Integer, JsonNode> replayed = new HashMap<>();
        List<ChangeEvent> ordered = new ArrayList<>(events.stream().filter(e -> e.getOp() != Op.TOMBSTONE).toList());
        ordered.sort((a, b) -> Long.compare(lsn(a), lsn(b)));
        for (ChangeEvent e : ordered) {
            switch (e.getOp()) {
                case READ, CREATE, UPDATE -> {
                    JsonNode after = JSON.readTree(e.getAfter());
                    replayed.put(after.get("id").asInt(), after);
                }
                case DELETE -> replayed.remove(JSON.readTree(e.getBefore()).get("id").asInt());
                default -> { }
            }
        }
        Map<Integer, Map<String, Object>> table = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT * FROM accounts ORDER BY id")) {
            while (rs.next()) {
                Map<String, Object> row = new HashMap<>();
                row.put("name", rs.getString("name"));
                row.put("balance", rs.getBigDecimal("balance"));
                row.put("opened_at", rs.getObject("opened_at", OffsetDateTime.class));
                row.put("profile", rs.getString("profile"));
                row.put("avatar", rs.getBytes("avatar"));
                row.put("active", rs.getObject("active"));
                table.put(rs.getInt("id"), row);
            }
        }
        assertThat(replayed.keySet()).isEqualTo(table.keySet());
        for (var entry : table.entrySet()) {
            JsonNode after = replayed.get(entry.getKey());
            Map<String, Object> row = entry.getValue();
            String where = "row " + entry.getKey() + ": " + after;
            assertThat(text(after, "name")).as(where).isEqualTo(row.get("name"));
            assertThat(after.get("balance").isNull() ? null : new BigDecimal(after.get("balance").asText()))
                    .as(where).isEqualTo(row.get("balance"));
            assertThat(after.get("opened_at").isNull() ? null : Instant.parse(after.get("opened_at").asText()))
                    .as(where).isEqualTo(row.get("opened_at") == null ? null : ((OffsetDateTime) row.get("opened_at")).toInstant());
            assertThat(after.get("profile").isNull() ? null : JSON.readTree(after.get("profile").asText()))
                    .as(where).isEqualTo(row.get("profile") == null ? null : JSON.readTree((String) row.get("profile")));
            assertThat(after.get("avatar").isNull() ? null : Base64.getDecoder().decode(after.get("avatar").asText()))
                    .as(where).isEqualTo(row.get("avatar"));
            assertThat(after.get("active").isNull() ? null : after.get("active").asBoolean()).as(where).isEqualTo(row.get("active"));
        }
    }

    private static String text(JsonNode row, String field) {
        return row.get(field).isNull() ? null : row.get(field).asText();
    }

    private static long lsn(ChangeEvent e) {
        try {
            return JSON.readTree(e.getSourceInfo()).path("lsn").asLong();
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
