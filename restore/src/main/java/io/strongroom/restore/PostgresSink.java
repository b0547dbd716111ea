package io.strongroom.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.restore.internal.PostgresColumnType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Restores into PostgreSQL by applying the changes in order: an insert, update or snapshot read
 * becomes an upsert by primary key (the event's key columns), a delete deletes. Values are bound as
 * text and cast to each column's type as the database declares it ({@code bytea} from base64), so
 * numerics, timestamps and JSON keep their exact values. The whole restore is one transaction. A
 * table that does not exist is created by the {@code --ddl} file if one is given, else from the
 * column types the events carry (when the source sent a schema; only plain PostgreSQL types with
 * checked modifiers, see {@link PostgresColumnType}, anything else stops the restore naming the column
 * and its type); otherwise the restore stops and asks for a DDL file.
 */
public final class PostgresSink implements RestoreSink {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Connection connection;
    private final Path ddl;
    private boolean ddlApplied;
    private final Map<String, Map<String, String>> columnTypes = new HashMap<>();

    /**
     * @param jdbcUrl e.g. {@code jdbc:postgresql://host:5432/db?user=restore}
     * @param password the password, or null (then the URL or the driver's defaults)
     * @param ddl a file of SQL that creates missing tables, or null
     */
    public PostgresSink(String jdbcUrl, String password, Path ddl) throws SQLException {
        Properties props = new Properties();
        if (password != null) {
            props.setProperty("password", password);
        }
        this.connection = DriverManager.getConnection(jdbcUrl, props);
        this.connection.setAutoCommit(false);
        this.ddl = ddl;
    }

    @Override
    public void accept(ChangeEvent e) throws Exception {
        switch (e.getOp()) {
            case READ, CREATE, UPDATE -> upsert(e, JSON.readTree(e.getKey()), JSON.readTree(e.getAfter()));
            case DELETE -> delete(e, JSON.readTree(e.getKey()));
            default -> { } // tombstones, schema changes and transaction markers change no row
        }
    }

    private Map<String, String> columns(ChangeEvent e) throws SQLException, IOException {
        String table = e.getTable();
        Map<String, String> types = columnTypes.get(table);
        if (types != null) {
            return types;
        }
        types = lookup(table);
        if (types.isEmpty() && ddl != null && !ddlApplied) {
            try (Statement s = connection.createStatement()) {
                s.execute(Files.readString(ddl));
            }
            ddlApplied = true;
            types = lookup(table);
        }
        if (types.isEmpty() && e.getColumns() != null && e.getKey() != null) {
            create(table, JSON.readTree(e.getColumns()), JSON.readTree(e.getKey()));
            types = lookup(table);
        }
        if (types.isEmpty()) {
            throw new IllegalStateException("table " + table + " does not exist in the target database and the events carry no "
                    + "column types" + (ddl == null ? "; create it, or give --ddl FILE with its CREATE TABLE"
                            : "; " + ddl + " did not create it"));
        }
        columnTypes.put(table, types);
        return types;
    }

    /**
     * Creates {@code table} from the column types the events carry, keyed by the event key's columns. Every type is
     * checked before any SQL runs, and the SQL of each is {@link PostgresColumnType}'s, not the event's.
     *
     * @throws IllegalStateException naming the column and its type, if a type is not one a restore creates
     */
    private void create(String table, JsonNode columns, JsonNode key) throws SQLException {
        if (!columns.isObject()) {
            throw new IllegalStateException("the column types of table " + table + " are not a JSON object of column to type");
        }
        List<String> defs = new ArrayList<>();
        for (var it = columns.fields(); it.hasNext(); ) {
            var c = it.next();
            String type = c.getValue().isTextual() ? c.getValue().asText() : c.getValue().toString();
            try {
                defs.add(quote(c.getKey()) + " " + PostgresColumnType.sql(type));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("column " + table + "." + c.getKey() + " has type '"
                        + (type.length() > 100 ? type.substring(0, 100) + "…" : type) + "', which is not a PostgreSQL type a "
                        + "restore creates tables with (" + e.getMessage() + "); create the table, or give --ddl FILE with its "
                        + "CREATE TABLE");
            }
        }
        List<String> pk = new ArrayList<>();
        key.fieldNames().forEachRemaining(k -> pk.add(quote(k)));
        String[] parts = table.contains(".") ? table.split("\\.", 2) : new String[] {"public", table};
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + quote(parts[0]));
            s.execute("CREATE TABLE " + table(table) + " (" + String.join(", ", defs)
                    + (pk.isEmpty() ? "" : ", PRIMARY KEY (" + String.join(", ", pk) + ")") + ")");
        }
    }

    private Map<String, String> lookup(String table) throws SQLException {
        String[] parts = table.contains(".") ? table.split("\\.", 2) : new String[] {"public", table};
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement p = connection.prepareStatement(
                "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?")) {
            p.setString(1, parts[0]);
            p.setString(2, parts[1]);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return types;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String table(String table) {
        String[] parts = table.contains(".") ? table.split("\\.", 2) : new String[] {"public", table};
        return quote(parts[0]) + "." + quote(parts[1]);
    }

    private static String placeholder(String type) {
        return "bytea".equals(type) ? "decode(?, 'base64')" : "CAST(? AS " + quote(type) + ")";
    }

    private static String text(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    private void upsert(ChangeEvent e, JsonNode key, JsonNode after) throws Exception {
        String table = e.getTable();
        Map<String, String> types = columns(e);
        List<String> cols = new ArrayList<>();
        for (Iterator<String> it = after.fieldNames(); it.hasNext(); ) {
            String c = it.next();
            if (!types.containsKey(c)) {
                throw new IllegalStateException("table " + table + " has no column " + c + " (the restored rows have it)");
            }
            cols.add(c);
        }
        List<String> pk = new ArrayList<>();
        key.fieldNames().forEachRemaining(pk::add);
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table(table)).append(" (");
        sql.append(String.join(", ", cols.stream().map(PostgresSink::quote).toList())).append(") VALUES (");
        sql.append(String.join(", ", cols.stream().map(c -> placeholder(types.get(c))).toList())).append(")");
        List<String> rest = cols.stream().filter(c -> !pk.contains(c)).toList();
        sql.append(" ON CONFLICT (").append(String.join(", ", pk.stream().map(PostgresSink::quote).toList())).append(") ");
        sql.append(rest.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                + String.join(", ", rest.stream().map(c -> quote(c) + " = EXCLUDED." + quote(c)).toList()));
        try (PreparedStatement p = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < cols.size(); i++) {
                p.setString(i + 1, text(after.get(cols.get(i))));
            }
            p.executeUpdate();
        }
    }

    private void delete(ChangeEvent e, JsonNode key) throws Exception {
        String table = e.getTable();
        Map<String, String> types = columns(e);
        List<String> pk = new ArrayList<>();
        key.fieldNames().forEachRemaining(pk::add);
        String sql = "DELETE FROM " + table(table) + " WHERE "
                + String.join(" AND ", pk.stream().map(c -> quote(c) + " = " + placeholder(types.get(c))).toList());
        try (PreparedStatement p = connection.prepareStatement(sql)) {
            for (int i = 0; i < pk.size(); i++) {
                p.setString(i + 1, text(key.get(pk.get(i))));
            }
            p.executeUpdate();
        }
    }

    @Override
    public void checkpoint(String restoreId, int segmentsDone) throws SQLException {
        connection.commit(); // changes applied again after a crash land the same (upserts and deletes, in order)
    }

    @Override
    public void commit() throws SQLException {
        connection.commit();
    }

    @Override
    public void abort() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // closing the connection rolls back anyway
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing left to do
        }
    }
}
