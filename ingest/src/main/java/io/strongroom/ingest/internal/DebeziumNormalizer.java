package io.strongroom.ingest.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.RecordHeader;
import io.strongroom.avro.RejectReason;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.ingest.IngestConfig;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.ChangeEvents;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns one CDC record into a canonical {@link ChangeEvent}, or a {@link Rejection} saying why not.
 * Accepted inputs: Debezium JSON envelopes with or without embedded Connect schema, tombstones,
 * Debezium schema-change and transaction-metadata events (kept as {@code OTHER}), and ChangeEvent
 * Avro in single-object encoding produced directly by services (recognised by its {@code C3 01}
 * marker; an unknown schema fingerprint is rejected as {@code UNKNOWN_SCHEMA}).
 *
 * <p>What the source sent is kept as it was: the record's value and key bytes ({@code originalValue},
 * {@code originalKey}), and the row images, key and source block as the JSON text they were in it
 * (see {@link SourceJson}: a number keeps its digits and its spelling). Those texts are parts of the
 * value, so they are stored once: the event records where they lie in it ({@code textSpans}, read back
 * with {@link ChangeEvents#withText}). A key that is not JSON (a
 * service keying by a plain id) is kept as bytes only; the event's key on {@code strongroom.changes}
 * is then derived from the bytes, so one key's changes stay in order.
 *
 * <p>Rejection details name the field and position within the record but never quote payload
 * content: parser messages (which echo input) are not passed on.
 */
final class DebeziumNormalizer {
    /** Tenant names the KMS backends accept (they become key ids and file names). */
    private static final Pattern TENANT_NAME = SystemTenants.NAME;
    private static final AvroSerde<ChangeEvent> AVRO = AvroSerde.of(ChangeEvent.class);

    private final IngestConfig config;
    private final Pattern tenantPattern;
    private final Set<String> tenants;

    DebeziumNormalizer(IngestConfig config) {
        this.config = config;
        this.tenantPattern = Pattern.compile(config.tenantPattern());
        this.tenants = Set.copyOf(config.tenants());
    }

    /** An accepted record: the key for {@code strongroom.changes} and the event. */
    record Accepted(String key, ChangeEvent event) {}

    /** Either an {@link Accepted} or a {@link Rejection}. */
    Object normalize(SourcePosition source, byte[] key, byte[] value, List<RecordHeader> headers) {
        Matcher m = tenantPattern.matcher(source.getTopic());
        String tenant;
        SourceJson parsed = null; // parsed here when the tenant is in it, so it is parsed once
        if (config.tenantFrom().equals("header")) {
            tenant = headers.stream().filter(h -> h.getKey().equals(config.tenantHeader()) && h.getValue() != null)
                    .reduce((first, second) -> second)
                    .map(h -> StandardCharsets.UTF_8.decode(h.getValue().duplicate()).toString()).orElse(null);
            if (tenant == null) {
                return new Rejection(RejectReason.UNKNOWN_TENANT, "no '" + config.tenantHeader() + "' header", null);
            }
        } else if (config.tenantFrom().equals("field") && value != null && !(value.length >= 2 && value[0] == (byte) 0xC3)) {
            try {
                parsed = parse("value", value);
                JsonNode at = unwrap(parsed.tree()).at(config.tenantField());
                if (!at.isTextual() || at.asText().isEmpty()) {
                    return new Rejection(RejectReason.UNKNOWN_TENANT, "payload has no tenant at " + config.tenantField(), null);
                }
                tenant = at.asText();
            } catch (Reject r) {
                return new Rejection(r.reason, r.getMessage(), null);
            }
        } else if (!m.matches()) {
            return new Rejection(RejectReason.UNKNOWN_TENANT,
                    "topic name does not match ingest.tenant-pattern " + tenantPattern.pattern(), null);
        } else {
            tenant = m.group("tenant");
        }
        if (!TENANT_NAME.matcher(tenant).matches()) {
            return new Rejection(RejectReason.UNKNOWN_TENANT, "tenant name is not valid (allowed: " + TENANT_NAME.pattern()
                    + ")", null);
        }
        if (SystemTenants.isReserved(tenant)) { // its key is Strongroom's, not a data tenant's
            return new Rejection(RejectReason.UNKNOWN_TENANT, "tenant name '" + tenant + "' is reserved (names starting with "
                    + SystemTenants.RESERVED_PREFIX + " are Strongroom's own)", null);
        }
        if (!tenants.isEmpty() && !tenants.contains(tenant)) {
            return new Rejection(RejectReason.UNKNOWN_TENANT, "tenant '" + tenant + "' is not in ingest.tenants", tenant);
        }
        if (value != null && value.length > config.maxRecordBytes()) {
            return new Rejection(RejectReason.OVERSIZED, "value is " + value.length
                    + " bytes, over ingest.max-record-bytes " + config.maxRecordBytes(), tenant);
        }
        try {
            if (value != null && value.length >= 2 && value[0] == (byte) 0xC3 && value[1] == 0x01) {
                return acceptAvro(source, tenant, key, value, headers);
            }
            return accept(source, tenant, m.matches() ? tableGroup(m) : null, key, value, parsed, headers);
        } catch (Reject r) {
            return new Rejection(r.reason, r.getMessage(), tenant);
        }
    }

    private Accepted accept(SourcePosition source, String tenant, String tableFromTopic, byte[] keyBytes, byte[] value,
            SourceJson parsed, List<RecordHeader> headers) {
        String key = keyBytes == null ? null : keyText(keyBytes);
        ChangeEvent.Builder event = ChangeEvent.newBuilder()
                .setEventId(source.getTopic() + "/" + source.getPartition() + "/" + source.getOffset())
                .setTenant(tenant)
                .setClassification(config.defaultClassification())
                .setKey(key)
                .setSource(source)
                .setOriginalKey(keyBytes == null ? null : ByteBuffer.wrap(keyBytes))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setHeaders(headers);
        if (value == null) {
            event.setOp(Op.TOMBSTONE).setTable(tableFromTopic != null ? tableFromTopic : topicTable(source.getTopic()));
        } else {
            SourceJson json = parsed != null ? parsed : parse("value", value);
            JsonNode whole = json.tree();
            boolean wrapped = isWrapped(whole);
            String at = wrapped ? "/payload" : "";
            JsonNode payload = wrapped ? whole.get("payload") : whole;
            Spans spans = new Spans(json);
            if (wrapped) {
                spans.set(ROW_SCHEMA, rowSchemaPointer(whole));
            }
            if (!payload.isObject()) {
                throw new Reject(RejectReason.WRONG_TYPE, "value payload must be a JSON object, got " + payload.getNodeType());
            }
            boolean schemaChange = payload.has("ddl") || payload.has("tableChanges");
            boolean transaction = payload.has("id") && payload.path("status").asText().matches("BEGIN|END");
            if (schemaChange || transaction) {
                // schema change or transaction boundary: not a row change, kept as OTHER for the record
                JsonNode src = payload.path("source");
                String table = tableFromTopic != null ? tableFromTopic
                        : src.hasNonNull("table") ? src.path("schema").asText("public") + "." + src.get("table").asText()
                        : topicTable(source.getTopic());
                spans.set(AFTER, at);
                event.setOp(Op.OTHER).setTable(table).setTextSpans(spans.list())
                        .setEventTimeMs(payload.path("ts_ms").canConvertToLong() ? payload.path("ts_ms").asLong() : null);
                ChangeEvent built = event.build();
                return new Accepted(built.getTenant() + "/" + built.getTable() + "/" + built.getEventId(), built);
            }
            Op op = op(payload.get("op"));
            JsonNode before = rowImage(payload, "before");
            JsonNode after = rowImage(payload, "after");
            if ((op == Op.CREATE || op == Op.UPDATE || op == Op.READ) && after == null) {
                throw new Reject(RejectReason.MISSING_AFTER, "op '" + payload.get("op").asText() + "' without an 'after' row image");
            }
            JsonNode sourceInfo = payload.get("source");
            if (sourceInfo != null && !sourceInfo.isNull() && !sourceInfo.isObject()) {
                throw new Reject(RejectReason.WRONG_TYPE, "field 'source' must be an object, got " + sourceInfo.getNodeType());
            }
            JsonNode ts = payload.get("ts_ms");
            if (ts != null && !ts.isNull() && !ts.canConvertToLong()) {
                throw new Reject(RejectReason.WRONG_TYPE, "field 'ts_ms' must be an integer, got " + ts.getNodeType());
            }
            String table = tableFromTopic;
            if (table == null && sourceInfo != null && sourceInfo.hasNonNull("table")) {
                table = sourceInfo.path("schema").asText("public") + "." + sourceInfo.get("table").asText();
            }
            if (before != null) {
                spans.set(BEFORE, at + "/before");
            }
            if (after != null) {
                spans.set(AFTER, at + "/after");
            }
            if (sourceInfo != null && !sourceInfo.isNull()) {
                spans.set(SOURCE_INFO, at + "/source");
            }
            event.setOp(op)
                    .setTable(table != null ? table : topicTable(source.getTopic()))
                    .setTextSpans(spans.list())
                    .setEventTimeMs(ts == null || ts.isNull() ? null : ts.asLong());
        }
        ChangeEvent built = event.build();
        built.setClassification(config.classify(built.getTenant(), built.getTable()));
        String partitionKey = key != null ? key : keyBytes != null ? opaqueKey(keyBytes) : built.getEventId();
        return new Accepted(built.getTenant() + "/" + built.getTable() + "/" + partitionKey, built);
    }

    /**
     * The key as the source's JSON text (unwrapped from a Connect schema envelope), or null if the key is not JSON — a
     * service keying by a plain id: such a key is archived as {@code originalKey} only.
     */
    private static String keyText(byte[] keyBytes) {
        SourceJson json;
        try {
            json = SourceJson.parse(keyBytes);
        } catch (IOException notJson) {
            return null;
        }
        if (json.tree() == null) {
            return null;
        }
        return isWrapped(json.tree()) ? json.text("/payload") : json.text("");
    }

    /** Same key bytes, same key on {@code strongroom.changes} (so one key's changes stay in order), of bounded size. */
    private static String opaqueKey(byte[] keyBytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(keyBytes);
            return "bytes:" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The pointer of the Connect schema of the envelope's {@code after} field, or null. */
    private static String rowSchemaPointer(JsonNode whole) {
        JsonNode fields = whole.path("schema").path("fields");
        for (int i = 0; i < fields.size(); i++) {
            if ("after".equals(fields.get(i).path("field").asText())) {
                return "/schema/fields/" + i;
            }
        }
        return null;
    }

    private static final int BEFORE = 0;
    private static final int AFTER = 1;
    private static final int SOURCE_INFO = 2;
    private static final int ROW_SCHEMA = 3;

    /** The event's {@code textSpans}: where its texts lie in the value (see {@link ChangeEvents}). */
    private static final class Spans {
        private final SourceJson json;
        private final Integer[] offsets = new Integer[2 * ChangeEvents.SPANNED.size()];

        Spans(SourceJson json) {
            this.json = json;
            Arrays.fill(offsets, -1);
        }

        void set(int field, String pointer) {
            int[] span = pointer == null ? null : json.span(pointer);
            if (span != null) {
                offsets[2 * field] = span[0];
                offsets[2 * field + 1] = span[1];
            }
        }

        List<Integer> list() {
            return Arrays.asList(offsets);
        }
    }

    private static boolean isWrapped(JsonNode node) {
        return node instanceof ObjectNode o && o.size() == 2 && o.has("schema") && o.has("payload");
    }

    /** A ChangeEvent produced directly by a service: its content is kept, its position is where we read it. */
    private Accepted acceptAvro(SourcePosition source, String tenant, byte[] keyBytes, byte[] value, List<RecordHeader> headers) {
        ChangeEvent event;
        try {
            event = AVRO.decode("topic " + source.getTopic(), value);
        } catch (SerializationException e) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            throw new Reject(message.contains("unknown Avro schema fingerprint") ? RejectReason.UNKNOWN_SCHEMA
                    : RejectReason.UNPARSEABLE, message.replace("topic " + source.getTopic() + ": ", ""));
        }
        if (!tenant.equals(event.getTenant())) {
            throw new Reject(RejectReason.UNKNOWN_TENANT, "event names tenant '" + event.getTenant()
                    + "' but its topic belongs to tenant '" + tenant + "'");
        }
        event.setEventId(source.getTopic() + "/" + source.getPartition() + "/" + source.getOffset());
        event.setSource(source);
        event.setOriginalKey(keyBytes == null ? null : ByteBuffer.wrap(keyBytes));
        event.setHeaders(headers);
        event.setOriginalValue(ByteBuffer.wrap(value));
        event.setTextSpans(null); // its texts are its own fields; spans would point into the Avro bytes
        return new Accepted(tenant + "/" + event.getTable() + "/" + (event.getKey() != null ? event.getKey() : event.getEventId()),
                event);
    }

    private static Op op(JsonNode op) {
        if (op == null || op.isNull()) {
            throw new Reject(RejectReason.MISSING_OP, "envelope has no 'op' field");
        }
        if (!op.isTextual()) {
            throw new Reject(RejectReason.WRONG_TYPE, "field 'op' must be a string, got " + op.getNodeType());
        }
        return switch (op.asText()) {
            case "c" -> Op.CREATE;
            case "u" -> Op.UPDATE;
            case "d" -> Op.DELETE;
            case "r" -> Op.READ;
            case "t" -> Op.TRUNCATE;
            default -> throw new Reject(RejectReason.UNSUPPORTED, "unsupported op (expected one of c, u, d, r, t)");
        };
    }

    private static JsonNode rowImage(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new Reject(RejectReason.WRONG_TYPE, "field '" + field + "' must be an object or null, got " + node.getNodeType());
        }
        return node;
    }

    /** Strips a Connect {"schema":..., "payload":...} wrapper. */
    private static JsonNode unwrap(JsonNode node) {
        return isWrapped(node) ? node.get("payload") : node;
    }

    private static SourceJson parse(String what, byte[] bytes) {
        try {
            SourceJson json = SourceJson.parse(bytes);
            if (json.tree() == null) {
                throw new Reject(RejectReason.UNPARSEABLE, what + " is empty");
            }
            return json;
        } catch (SourceJson.TrailingContent e) {
            throw new Reject(RejectReason.UNPARSEABLE, what + " has content after its JSON value at line " + e.line + ", column "
                    + e.column);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new Reject(RejectReason.UNPARSEABLE, what + " is not valid JSON" + where);
        } catch (IOException e) {
            throw new Reject(RejectReason.UNPARSEABLE, what + " cannot be read");
        }
    }

    private static String tableGroup(Matcher m) {
        try {
            return m.group("table");
        } catch (IllegalArgumentException noSuchGroup) {
            return null;
        }
    }

    /** {@code cdc.acme.public.orders} → {@code public.orders}: the topic's last two segments. */
    private static String topicTable(String topic) {
        String[] parts = topic.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : topic;
    }

    private static final class Reject extends RuntimeException {
        final RejectReason reason;

        Reject(RejectReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }
}
