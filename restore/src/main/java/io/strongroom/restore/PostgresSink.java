package io.strongroom.restore;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.restore.internal.ConnectField;
import io.strongroom.restore.internal.DebeziumColumnTypes;
import io.strongroom.restore.internal.DebeziumValues;
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
import java.time.DateTimeException;
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
 * text and cast to each column's type as the database declares it, so numerics, timestamps and JSON
 * keep their exact values. An event that carries its row schema (Debezium's embedded Connect schema,
 * ChangeEvent v3) is decoded by it ({@link DebeziumValues}: dates, times, timestamps, intervals,
 * decimals, bits, arrays, hstore...); an unchanged TOASTed column Debezium did not send (its
 * placeholder) is left out of the upsert, so the stored value stays. An older event binds its values
 * as sent ({@code bytea} from base64). The whole restore is one transaction. A table that does not
 * exist is created by the {@code --ddl} file if one is given, else from the row schema
 * ({@link DebeziumColumnTypes}) or the column types the events carry (only plain PostgreSQL types
 * with checked modifiers, see {@link PostgresColumnType}); a column it cannot decode or create stops
 * the restore before any row of that table is written, naming the table, the column and its Debezium
 * type; without any of these the restore stops and asks for a DDL file.
 */
public final class PostgresSink implements RestoreSink {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();
    private final Connection connection;
    private final Path ddl;
    private boolean ddlApplied;
    private final Map<String, Map<String, String>> columnTypes = new HashMap<>();
    /** Row schemas seen, parsed and checked: the same text arrives with every event of a table. */
    private final Map<String, Map<String, ConnectField>> rowSchemas = new HashMap<>();

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
            case READ, CREATE, UPDATE -> upsert(e, object(e, "key", e.getKey()), object(e, "after", e.getAfter()));
            case DELETE -> delete(e, object(e, "key", e.getKey()));
            default -> { } // tombstones, schema changes and transaction markers change no row
        }
    }

    private static JsonNode object(ChangeEvent e, String what, String json) throws IOException {
        JsonNode node = json == null ? null : JSON.readTree(json);
        if (node == null || !node.isObject()) {
            throw new IllegalStateException("event " + e.getEventId() + " of table " + e.getTable() + " has no " + what
                    + " as a JSON object; a restore into PostgreSQL needs its primary key and row");
        }
        return node;
    }

    /**
     * The Connect schema of the event's columns, or null for an event without one (archived before ChangeEvent v3,
     * or from a source without an embedded schema). Checked when first seen, before any of its rows is written: a type
     * a restore cannot decode stops it naming the table, the column and the type.
     */
    private Map<String, ConnectField> rowSchema(ChangeEvent e) {
        String text = e.getRowSchema();
        if (text == null) {
            return null;
        }
        Map<String, ConnectField> schema = rowSchemas.get(text);
        if (schema != null) {
            return schema;
        }
        try {
            schema = ConnectField.row(text);
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException("table " + e.getTable() + ": " + ex.getMessage() + " (event " + e.getEventId() + ")");
        }
        for (ConnectField f : schema.values()) {
            try {
                DebeziumValues.check(f);
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException("column " + e.getTable() + "." + f.field() + ": " + ex.getMessage()
                        + "; nothing was written");
            }
        }
        rowSchemas.put(text, schema);
        return schema;
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
        Map<String, ConnectField> schema = rowSchema(e);
        if (types.isEmpty() && schema != null && e.getKey() != null) {
            create(table, schema, JSON.readTree(e.getKey()));
            types = lookup(table);
        } else if (types.isEmpty() && e.getColumns() != null && e.getKey() != null) {
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
        createTable(table, defs, key);
    }

    /**
     * Creates {@code table} from the Connect schema of its rows (see {@link DebeziumColumnTypes}), keyed by the event
     * key's columns. Every column's type is mapped, and known to the target database, before any SQL runs.
     *
     * @throws IllegalStateException naming the column and its Debezium type, if one has no type a restore creates
     */
    private void create(String table, Map<String, ConnectField> schema, JsonNode key) throws SQLException {
        List<String> defs = new ArrayList<>();
        for (ConnectField f : schema.values()) {
            String type;
            try {
                type = DebeziumColumnTypes.sql(f);
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException("column " + table + "." + f.field() + ": " + ex.getMessage()
                        + "; create the table, or give --ddl FILE with its CREATE TABLE");
            }
            if (!typeExists(type)) {
                throw new IllegalStateException("column " + table + "." + f.field() + " needs type " + type + " (Debezium type "
                        + f.describe() + "), which the target database does not have"
                        + (type.startsWith("hstore") || type.startsWith("ltree") ? "; CREATE EXTENSION " + type.replace("[]", "")
                                + " there first" : "") + ", or give --ddl FILE with the CREATE TABLE");
            }
            defs.add(quote(f.field()) + " " + type);
        }
        createTable(table, defs, key);
    }

    private boolean typeExists(String sqlType) throws SQLException {
        try (PreparedStatement p = connection.prepareStatement("SELECT to_regtype(?) IS NOT NULL")) {
            p.setString(1, sqlType);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void createTable(String table, List<String> defs, JsonNode key) throws SQLException {
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

    /** The bind of a column: its text cast to the column's type; bytea of an event without a row schema from base64. */
    private static String placeholder(String type, boolean decoded) {
        return "bytea".equals(type) && !decoded ? "decode(?, 'base64')" : "CAST(? AS " + quote(type) + ")";
    }

    /** The text bound for column {@code c}: decoded by its Connect schema when the event has one, else as sent. */
    private static String value(ChangeEvent e, Map<String, ConnectField> schema, String c, JsonNode v, String type) {
        if (schema == null) {
            if (v == null || v.isNull()) {
                return null;
            }
            return v.isValueNode() ? v.asText() : v.toString();
        }
        ConnectField f = field(e, schema, c);
        try {
            return DebeziumValues.literal(f, v, type);
        } catch (IllegalArgumentException | ArithmeticException | DateTimeException ex) {
            throw new IllegalStateException("column " + e.getTable() + "." + c + " (Debezium type " + f.describe() + ") of event "
                    + e.getEventId() + " cannot be decoded: " + ex.getMessage());
        }
    }

    private static ConnectField field(ChangeEvent e, Map<String, ConnectField> schema, String c) {
        ConnectField f = schema.get(c);
        if (f == null) {
            throw new IllegalStateException("column " + e.getTable() + "." + c + " of event " + e.getEventId()
                    + " is not in the event's row schema");
        }
        return f;
    }

    private void upsert(ChangeEvent e, JsonNode key, JsonNode after) throws Exception {
        String table = e.getTable();
        Map<String, String> types = columns(e);
        Map<String, ConnectField> schema = rowSchema(e);
        List<String> cols = new ArrayList<>();
        for (Iterator<String> it = after.fieldNames(); it.hasNext(); ) {
            String c = it.next();
            if (!types.containsKey(c)) {
                throw new IllegalStateException("table " + table + " has no column " + c + " (the restored rows have it)");
            }
            if (schema != null && DebeziumValues.unavailable(field(e, schema, c), after.get(c))) {
                continue; // an unchanged TOASTed value Debezium did not have: the stored value stays
            }
            cols.add(c);
        }
        List<String> pk = new ArrayList<>();
        key.fieldNames().forEachRemaining(pk::add);
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table(table)).append(" (");
        sql.append(String.join(", ", cols.stream().map(PostgresSink::quote).toList())).append(") VALUES (");
        sql.append(String.join(", ", cols.stream().map(c -> placeholder(types.get(c), schema != null)).toList())).append(")");
        List<String> rest = cols.stream().filter(c -> !pk.contains(c)).toList();
        sql.append(" ON CONFLICT (").append(String.join(", ", pk.stream().map(PostgresSink::quote).toList())).append(") ");
        sql.append(rest.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                + String.join(", ", rest.stream().map(c -> quote(c) + " = EXCLUDED." + quote(c)).toList()));
        List<String> values = new ArrayList<>(cols.size());
        for (String c : cols) {
            values.add(value(e, schema, c, after.get(c), types.get(c)));
        }
        try (PreparedStatement p = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                p.setString(i + 1, values.get(i));
            }
            p.executeUpdate();
        }
    }

    private void delete(ChangeEvent e, JsonNode key) throws Exception {
        String table = e.getTable();
        Map<String, String> types = columns(e);
        Map<String, ConnectField> schema = rowSchema(e);
        List<String> pk = new ArrayList<>();
        key.fieldNames().forEachRemaining(pk::add);
        String sql = "DELETE FROM " + table(table) + " WHERE "
                + String.join(" AND ", pk.stream().map(c -> quote(c) + " = " + placeholder(types.get(c), schema != null)).toList());
        List<String> values = new ArrayList<>(pk.size());
        for (String c : pk) {
            values.add(value(e, schema, c, key.get(c), types.get(c)));
        }
        try (PreparedStatement p = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.size(); i++) {
                p.setString(i + 1, values.get(i));
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
