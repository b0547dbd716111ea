package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Pipeline;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.ingest.source.PostgresSource;
import io.strongroom.ingest.source.PostgresSourceConfig;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The whole way and back: a PostgreSQL table → Debezium → ingest → encryptor → archiver → S3, then a
 * restore into fresh databases: as of now it equals the source table row by row, and as of an earlier
 * moment it equals a snapshot taken then.
 */
class PostgresRestoreIT {
    private static final String DDL = """
            CREATE TABLE accounts (
              id integer PRIMARY KEY,
              name text,
              balance numeric(14,4),
              opened_at timestamptz,
              profile jsonb,
              avatar bytea,
              active boolean)""";

    private static List<String> rows(Postgres.Database db) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, name, balance, opened_at, profile, encode(avatar, 'hex') AS avatar, active "
                        + "FROM accounts ORDER BY id")) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.append(md.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
                }
                rows.add(row.toString().strip());
            }
        }
        return rows;
    }

    @Test
    void aRestoreIntoAFreshDatabaseEqualsTheSourceNowAndAnEarlierSnapshotAsOfThen() throws Exception {
        Postgres.requireAvailable();
        Path dir = Files.createTempDirectory("strongroom-pg-restore-it-");
        try (Postgres.Database source = Postgres.createDatabase("sr_restore_src");
                Postgres.Database now = Postgres.createDatabase("sr_restore_now");
                Postgres.Database then = Postgres.createDatabase("sr_restore_then");
                Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            source.execute(DDL, "ALTER TABLE accounts REPLICA IDENTITY FULL",
                    "INSERT INTO accounts VALUES (1, 'Ada', 1234.5000, '2026-03-01 10:00:00.123456+00', '{\"tier\": \"gold\"}', '\\x00ff10', true)",
                    "INSERT INTO accounts VALUES (2, 'Grace', -0.0001, '1999-12-31 23:59:59+05:30', '[1, 2]', '\\x', false)",
                    "INSERT INTO accounts VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL)");
            StrongroomConfig config = sandbox.config();
            PostgresSourceConfig pg = new PostgresSourceConfig(Postgres.HOST, Postgres.PORT, source.name(), Postgres.USER,
                    Postgres.PASSWORD, null, "acme", List.of("public.accounts"), null, "sr_restore_it", null, null,
                    dir.resolve("pg.offsets").toString(), null, null);
            Instant asOf;
            List<String> snapshot;
            try (ManagedKms kms = KmsFactory.create(config, "encryptor"); ManagedKms ingestKms = KmsFactory.create(config, "ingest");
                    Pipeline pipeline = Pipeline.start(config, kms, ingestKms);
                    PostgresSource cdc = PostgresSource.start(pg, config.kafka().clientProperties(), dir)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.archiver().recordsArchived() >= 3); // the snapshot
                source.execute("INSERT INTO accounts VALUES (4, 'Zoë ☃', 99999999.9999, now(), '{\"a\": {\"b\": null}}', decode('deadbeef', 'hex'), true)",
                        "UPDATE accounts SET balance = 1300.2500, profile = '{\"tier\": \"platinum\"}' WHERE id = 1");
                await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.archiver().recordsArchived() >= 5);
                snapshot = rows(source);
                asOf = Instant.now();
                await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(asOf.plusMillis(20)));
                source.execute("UPDATE accounts SET name = 'Grace Hopper', active = true WHERE id = 2");
                source.execute("DELETE FROM accounts WHERE id = 3");
                source.execute("INSERT INTO accounts VALUES (5, 'late', 5, now(), '{}', '\\x05', false)");
                await().atMost(Duration.ofSeconds(90)).until(() -> pipeline.archiver().recordsArchived() >= 9);
            }
            List<String> current = rows(source);
            assertThat(current).isNotEqualTo(snapshot);
            Path ddl = dir.resolve("accounts.sql");
            Files.writeString(ddl, DDL);

            // the events carry the column types (Debezium's embedded schema): the missing table is created from them
            PipelineIT.Run restoreNow = PipelineIT.run("restore", "--config", sandbox.configFile().toString(), "--tenant", "acme",
                    "--to-target", "postgres:" + Postgres.jdbcUrl(now.name()) + "?user=" + Postgres.USER + "&password=" + Postgres.PASSWORD);
            assertThat(restoreNow.code()).as(restoreNow.err()).isZero();
            assertThat(rows(now)).isEqualTo(current);
            try (Connection c = now.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns "
                            + "WHERE table_name = 'accounts' AND column_name = 'balance'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1) + "(" + rs.getInt(2) + "," + rs.getInt(3) + ")").isEqualTo("numeric(14,4)");
            }

            PipelineIT.Run restoreThen = PipelineIT.run("restore", "--config", sandbox.configFile().toString(), "--tenant", "acme",
                    "--as-of", asOf.toString(), "--to-target",
                    "postgres:" + Postgres.jdbcUrl(then.name()) + "?user=" + Postgres.USER + "&password=" + Postgres.PASSWORD,
                    "--ddl", ddl.toString());
            assertThat(restoreThen.code()).as(restoreThen.err()).isZero();
            assertThat(rows(then)).isEqualTo(snapshot);
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
