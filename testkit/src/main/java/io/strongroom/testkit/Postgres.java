package io.strongroom.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * The local PostgreSQL the tests use, prepared by {@code scripts/postgres-setup.sh} (logical
 * decoding on, a REPLICATION + CREATEDB role). Each test gets its own scratch database, dropped
 * with its replication slots on {@link Database#close()}.
 *
 * <p>Connection: {@code STRONGROOM_TEST_PG_HOST} (127.0.0.1), {@code _PORT} (5432), {@code _USER}
 * and {@code _PASSWORD} (strongroom / strongroom), {@code _DATABASE} (strongroom, used to create and
 * drop the scratch databases).
 */
public final class Postgres {
    public static final String HOST = env("HOST", "127.0.0.1");
    public static final int PORT = Integer.parseInt(env("PORT", "5432"));
    public static final String USER = env("USER", "strongroom");
    public static final String PASSWORD = env("PASSWORD", "strongroom");
    private static final String ADMIN_DATABASE = env("DATABASE", "strongroom");

    private Postgres() {}

    private static String env(String name, String dflt) {
        String v = System.getenv("STRONGROOM_TEST_PG_" + name);
        return v == null || v.isBlank() ? dflt : v;
    }

    /** JDBC URL of {@code database}. */
    public static String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
    }

    /** Opens a connection to {@code database}. */
    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    /** Skips (locally) or fails (in CI) unless the PostgreSQL is reachable with logical decoding on. */
    public static void requireAvailable() {
        String problem = null;
        try (Connection c = connect(ADMIN_DATABASE); Statement s = c.createStatement();
                var rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            if (!"logical".equals(rs.getString(1))) {
                problem = "wal_level is " + rs.getString(1) + ", not logical";
            }
        } catch (SQLException e) {
            problem = "cannot connect to " + jdbcUrl(ADMIN_DATABASE) + " as " + USER + ": " + e.getMessage();
        }
        RequiredService.require("PostgreSQL", problem == null,
                (problem == null ? "" : problem + "; ") + "run scripts/postgres-setup.sh as root (apt-get install postgresql first)");
    }

    /** Creates a fresh, empty database named {@code <prefix>_<random>}. */
    public static Database createDatabase(String prefix) throws SQLException {
        requireAvailable();
        String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("not a safe database name: " + name);
        }
        try (Connection c = connect(ADMIN_DATABASE); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new Database(name);
    }

    /** A scratch database; closing drops its replication slots, then the database. */
    public record Database(String name) implements AutoCloseable {
        public Connection connect() throws SQLException {
            return Postgres.connect(name);
        }

        /** Runs statements in one transaction. */
        public void execute(String... sql) throws SQLException {
            try (Connection c = connect()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    for (String statement : sql) {
                        s.execute(statement);
                    }
                }
                c.commit();
            }
        }

        @Override
        public void close() throws SQLException {
            try (Connection c = Postgres.connect(ADMIN_DATABASE)) {
                try (PreparedStatement slots = c.prepareStatement(
                        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = ? AND active_pid IS NOT NULL")) {
                    slots.setString(1, name);
                    slots.execute();
                }
                try (PreparedStatement drop = c.prepareStatement(
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = ?")) {
                    drop.setString(1, name);
                    drop.execute();
                }
                try (Statement s = c.createStatement()) {
                    s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                }
            }
        }
    }
}
