package io.strongroom.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Synthetic change-data events in Debezium's PostgreSQL format, deterministic for a given seed.
 *
 * <p>Tables {@code customers}, {@code orders} and {@code invoices} per tenant, with the column
 * types Debezium emits (int32/int64 ids, strings, decimals as strings, booleans, doubles,
 * {@code MicroTimestamp}, {@code ZonedTimestamp}, {@code Date}, nullable text). Each table starts
 * with a snapshot ({@code op: r}), then creates, updates and deletes of live rows; a delete is
 * followed by a tombstone when enabled. Free-text columns carry the canary string at the
 * configured rate, so tests can prove it never appears outside the input topics.
 */
public final class CdcGenerator implements Iterable<CdcRecord> {
    /** Canary planted in free-text columns by default. */
    public static final String DEFAULT_CANARY = "SR-CANARY-9f8e7d6c";
    private static final List<String> TABLES = List.of("customers", "orders", "invoices");
    private static final int SNAPSHOT_ROWS = 3;
    private static final long EPOCH_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Options options;

    /**
     * What to generate.
     *
     * @param seed random seed; equal seeds give equal records
     * @param tenants tenant names (at least one)
     * @param records number of Kafka records to generate, tombstones included
     * @param canary the canary string
     * @param canaryRate fraction of rows whose free text holds the canary (0..1)
     * @param withSchema whether keys and values embed the Connect schema (schemas.enable=true)
     * @param tombstones whether deletes are followed by a tombstone
     * @param topicPrefix topic prefix, e.g. {@code cdc}
     * @param tables tables per tenant (1-3: customers, orders, invoices), each its own topic
     */
    public record Options(long seed, List<String> tenants, int records, String canary, double canaryRate,
            boolean withSchema, boolean tombstones, String topicPrefix, int tables) {
        /** Options with all three tables. */
        public Options(long seed, List<String> tenants, int records, String canary, double canaryRate, boolean withSchema,
                boolean tombstones, String topicPrefix) {
            this(seed, tenants, records, canary, canaryRate, withSchema, tombstones, topicPrefix, 3);
        }

        public Options {
            if (tables < 1 || tables > TABLES.size()) {
                throw new IllegalArgumentException("tables must be between 1 and " + TABLES.size() + ", got " + tables);
            }
            tenants = List.copyOf(tenants);
            if (tenants.isEmpty()) {
                throw new IllegalArgumentException("tenants must not be empty");
            }
            if (records < 0) {
                throw new IllegalArgumentException("records must be >= 0, got " + records);
            }
            if (canaryRate < 0 || canaryRate > 1) {
                throw new IllegalArgumentException("canaryRate must be between 0 and 1, got " + canaryRate);
            }
            Objects.requireNonNull(canary, "canary");
            Objects.requireNonNull(topicPrefix, "topicPrefix");
        }

        /** Defaults: seed 42, no schema, tombstones on, 5% canary rows, prefix {@code cdc}. */
        public static Options of(int records, String... tenants) {
            return new Options(42, List.of(tenants), records, DEFAULT_CANARY, 0.05, false, true, "cdc");
        }

        public Options withSeed(long newSeed) {
            return new Options(newSeed, tenants, records, canary, canaryRate, withSchema, tombstones, topicPrefix, tables);
        }

        public Options withSchema(boolean embed) {
            return new Options(seed, tenants, records, canary, canaryRate, embed, tombstones, topicPrefix, tables);
        }
    }

    public CdcGenerator(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** The CDC topic of a tenant's table. */
    public static String topic(String prefix, String tenant, String table) {
        return prefix + "." + tenant + ".public." + table;
    }

    /** Every topic this generator writes to. */
    public List<String> topics() {
        List<String> topics = new ArrayList<>();
        for (String tenant : options.tenants()) {
            for (String table : TABLES.subList(0, options.tables())) {
                topics.add(topic(options.topicPrefix(), tenant, table));
            }
        }
        return topics;
    }

    /** All records, in produce order. Fine for tests; iterate for large runs. */
    public List<CdcRecord> generate() {
        List<CdcRecord> all = new ArrayList<>(options.records());
        iterator().forEachRemaining(all::add);
        return all;
    }

    @Override
    public Iterator<CdcRecord> iterator() {
        return new Gen();
    }

    /** Live rows of one tenant's table, by id, in creation order. */
    private static final class TableState {
        final Map<Object, ObjectNode> live = new LinkedHashMap<>();
        long nextId = 1;
        int snapshotLeft = SNAPSHOT_ROWS;
    }

    private final class Gen implements Iterator<CdcRecord> {
        private final SplittableRandom random = new SplittableRandom(options.seed());
        private final Map<String, TableState> tables = new LinkedHashMap<>();
        private int produced;
        private long clock = EPOCH_MS;
        private long lsn = 23_000_000L;
        private long txId = 700;
        private CdcRecord pendingTombstone;

        @Override
        public boolean hasNext() {
            return produced < options.records();
        }

        @Override
        public CdcRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            produced++;
            if (pendingTombstone != null) {
                CdcRecord t = pendingTombstone;
                pendingTombstone = null;
                return t;
            }
            String tenant = options.tenants().get(random.nextInt(options.tenants().size()));
            String table = TABLES.get(random.nextInt(options.tables()));
            TableState state = tables.computeIfAbsent(tenant + "/" + table, k -> new TableState());
            clock += 1 + random.nextInt(50);
            lsn += 64 + random.nextInt(4096);
            txId++;

            String op;
            ObjectNode before = null;
            ObjectNode after;
            if (state.snapshotLeft > 0) {
                state.snapshotLeft--;
                op = "r";
                after = newRow(table, state);
            } else {
                int roll = random.nextInt(100);
                op = state.live.isEmpty() || roll < 40 ? "c" : roll < 85 ? "u" : "d";
                if (op.equals("c")) {
                    after = newRow(table, state);
                } else {
                    List<Object> ids = new ArrayList<>(state.live.keySet());
                    Object id = ids.get(random.nextInt(ids.size()));
                    before = state.live.get(id);
                    if (op.equals("u")) {
                        after = update(table, before);
                        state.live.put(id, after);
                    } else {
                        after = null;
                        state.live.remove(id);
                    }
                }
            }
            ObjectNode row = after != null ? after : before;
            String topic = topic(options.topicPrefix(), tenant, table);
            byte[] key = bytes(key(topic, table, row));
            byte[] value = bytes(envelope(topic, tenant, table, op, before, after));
            List<Map.Entry<String, byte[]>> headers = headers();
            CdcRecord record = new CdcRecord(topic, tenant, table, op, key, value, headers, clock);
            if (op.equals("d") && options.tombstones() && produced < options.records()) {
                pendingTombstone = new CdcRecord(topic, tenant, table, null, key, null, List.of(), clock);
            }
            return record;
        }

        private List<Map.Entry<String, byte[]>> headers() {
            if (produced % 7 != 0) {
                return List.of();
            }
            List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
            String trace = String.format("00-%016x%016x-%016x-01", random.nextLong(), random.nextLong(), random.nextLong());
            headers.add(new SimpleImmutableEntry<>("traceparent", trace.getBytes(StandardCharsets.UTF_8)));
            if (produced % 21 == 0) {
                headers.add(new SimpleImmutableEntry<>("x-empty", null));
            }
            return headers;
        }

        private String text(String base) {
            return random.nextDouble() < options.canaryRate() ? base + " " + options.canary() : base;
        }

        private ObjectNode newRow(String table, TableState state) {
            long id = state.nextId++;
            ObjectNode row = F.objectNode();
            switch (table) {
                case "customers" -> {
                    row.put("id", (int) id);
                    row.put("name", text("Customer " + id));
                    row.put("email", "user" + id + "@example.com");
                    row.put("balance", money());
                    row.put("active", random.nextBoolean());
                    row.put("created_at", clock * 1000 + random.nextInt(1000));
                    row.put("tags", "[\"tier-" + random.nextInt(4) + "\"]");
                }
                case "orders" -> {
                    row.put("id", 10_000_000_000L + id);
                    row.put("customer_id", 1 + random.nextInt(1000));
                    row.put("total", money());
                    row.put("currency", List.of("EUR", "USD", "GBP").get(random.nextInt(3)));
                    row.put("status", "NEW");
                    row.put("placed_at", Instant.ofEpochMilli(clock).toString());
                    if (random.nextBoolean()) {
                        row.put("notes", text("deliver to door " + random.nextInt(500)));
                    } else {
                        row.putNull("notes");
                    }
                }
                default -> {
                    row.put("id", new UUID(random.nextLong(), random.nextLong()).toString());
                    row.put("order_id", 10_000_000_000L + random.nextInt(1000));
                    row.put("amount", Math.round(random.nextDouble() * 1_000_000) / 100.0);
                    row.put("due_date", (int) (clock / 86_400_000L) + 30);
                    row.put("paid", false);
                    row.put("memo", text("invoice memo " + id));
                }
            }
            state.live.put(idOf(row), row);
            return row;
        }

        private ObjectNode update(String table, ObjectNode before) {
            ObjectNode after = before.deepCopy();
            switch (table) {
                case "customers" -> {
                    after.put("balance", money());
                    after.put("name", text("Customer " + after.get("id").asText() + " (renamed)"));
                }
                case "orders" -> after.put("status", List.of("PAID", "SHIPPED", "CANCELLED").get(random.nextInt(3)));
                default -> {
                    after.put("paid", true);
                    after.put("memo", text("paid on day " + (clock / 86_400_000L)));
                }
            }
            return after;
        }

        private String money() {
            return String.format("%d.%02d", random.nextInt(100_000), random.nextInt(100));
        }

        private ObjectNode key(String topic, String table, ObjectNode row) {
            ObjectNode payload = F.objectNode();
            payload.set("id", row.get("id"));
            if (!options.withSchema()) {
                return payload;
            }
            ObjectNode schema = F.objectNode().put("type", "struct");
            schema.putArray("fields").add(field("id", idType(table), false, null));
            schema.put("optional", false).put("name", topic + ".Key");
            ObjectNode wrapped = F.objectNode();
            wrapped.set("schema", schema);
            wrapped.set("payload", payload);
            return wrapped;
        }

        private ObjectNode envelope(String topic, String tenant, String table, String op, ObjectNode before, ObjectNode after) {
            ObjectNode payload = F.objectNode();
            payload.set("before", before);
            payload.set("after", after);
            ObjectNode source = payload.putObject("source");
            source.put("version", "3.6.1.Final").put("connector", "postgresql").put("name", options.topicPrefix() + "." + tenant)
                    .put("ts_ms", clock).put("snapshot", op.equals("r") ? "true" : "false").put("db", tenant)
                    .put("sequence", "[null,\"" + lsn + "\"]").put("schema", "public").put("table", table)
                    .put("txId", txId).put("lsn", lsn).putNull("xmin");
            payload.put("op", op);
            payload.put("ts_ms", clock + 1 + random.nextInt(20));
            payload.putNull("transaction");
            if (!options.withSchema()) {
                return payload;
            }
            ObjectNode wrapped = F.objectNode();
            wrapped.set("schema", envelopeSchema(topic, table));
            wrapped.set("payload", payload);
            return wrapped;
        }
    }

    private static Object idOf(ObjectNode row) {
        var id = row.get("id");
        return id.isTextual() ? id.asText() : id.asLong();
    }

    private static String idType(String table) {
        return switch (table) {
            case "customers" -> "int32";
            case "orders" -> "int64";
            default -> "string";
        };
    }

    private static ObjectNode field(String name, String type, boolean optional, String logicalName) {
        ObjectNode f = F.objectNode().put("type", type).put("optional", optional);
        if (logicalName != null) {
            f.put("name", logicalName).put("version", 1);
        }
        return f.put("field", name);
    }

    private static ObjectNode rowSchema(String topic, String table, String field) {
        ObjectNode s = F.objectNode().put("type", "struct");
        var fields = s.putArray("fields");
        switch (table) {
            case "customers" -> {
                fields.add(field("id", "int32", false, null));
                fields.add(field("name", "string", false, null));
                fields.add(field("email", "string", false, null));
                fields.add(field("balance", "string", false, null));
                fields.add(field("active", "boolean", false, null));
                fields.add(field("created_at", "int64", false, "io.debezium.time.MicroTimestamp"));
                fields.add(field("tags", "string", true, "io.debezium.data.Json"));
            }
            case "orders" -> {
                fields.add(field("id", "int64", false, null));
                fields.add(field("customer_id", "int32", false, null));
                fields.add(field("total", "string", false, null));
                fields.add(field("currency", "string", false, null));
                fields.add(field("status", "string", false, null));
                fields.add(field("placed_at", "string", false, "io.debezium.time.ZonedTimestamp"));
                fields.add(field("notes", "string", true, null));
            }
            default -> {
                fields.add(field("id", "string", false, "io.debezium.data.Uuid"));
                fields.add(field("order_id", "int64", false, null));
                fields.add(field("amount", "double", false, null));
                fields.add(field("due_date", "int32", false, "io.debezium.time.Date"));
                fields.add(field("paid", "boolean", false, null));
                fields.add(field("memo", "string", true, null));
            }
        }
        return s.put("optional", true).put("name", topic + ".Value").put("field", field);
    }

    private static ObjectNode envelopeSchema(String topic, String table) {
        ObjectNode s = F.objectNode().put("type", "struct");
        var fields = s.putArray("fields");
        fields.add(rowSchema(topic, table, "before"));
        fields.add(rowSchema(topic, table, "after"));
        ObjectNode source = F.objectNode().put("type", "struct");
        var sf = source.putArray("fields");
        for (String name : List.of("version", "connector", "name", "snapshot", "db", "sequence", "schema", "table")) {
            sf.add(field(name, "string", !name.equals("version"), null));
        }
        sf.add(field("ts_ms", "int64", false, null));
        sf.add(field("txId", "int64", true, null));
        sf.add(field("lsn", "int64", true, null));
        sf.add(field("xmin", "int64", true, null));
        source.put("optional", false).put("name", "io.debezium.connector.postgresql.Source").put("field", "source");
        fields.add(source);
        fields.add(field("op", "string", false, null));
        fields.add(field("ts_ms", "int64", true, null));
        fields.add(F.objectNode().put("type", "struct").put("optional", true).put("name", "event.block")
                .put("version", 1).put("field", "transaction").set("fields", F.arrayNode()));
        return s.put("optional", false).put("name", topic + ".Envelope").put("version", 2);
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
