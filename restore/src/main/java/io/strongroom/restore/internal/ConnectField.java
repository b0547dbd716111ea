package io.strongroom.restore.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One field of a Kafka Connect schema as {@code JsonConverter} writes it with {@code schemas.enable}:
 * {@code {"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"parameters":{..},"field":"d"}},
 * arrays with {@code items}, maps with {@code keys}/{@code values}, structs with {@code fields}.
 *
 * @param field the field (column) name; null for an array's items or a map's values
 * @param type the Connect type: int8, int16, int32, int64, float (float32), double (float64), boolean, string, bytes,
 *     array, map, struct
 * @param name the semantic type ({@code io.debezium.time.MicroTimestamp}, {@code org.apache.kafka.connect.data.Decimal},
 *     ...), or null
 * @param parameters the schema's parameters ({@code scale}, {@code length}, {@code __debezium.source.column.type}, ...)
 * @param items an array's element schema, else null
 * @param values a map's value schema, else null
 * @param fields a struct's fields, else empty
 */
public record ConnectField(String field, String type, String name, Map<String, String> parameters, ConnectField items,
        ConnectField values, List<ConnectField> fields) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE_TYPE = "__debezium.source.column.type";

    public ConnectField {
        parameters = Map.copyOf(parameters);
        fields = List.copyOf(fields);
    }

    /**
     * The columns of a row schema ({@code ChangeEvent.rowSchema}: the struct schema of the envelope's {@code after}), by
     * name, in the source's column order.
     *
     * @throws IllegalArgumentException if the text is not a Connect struct schema
     */
    public static Map<String, ConnectField> row(String rowSchema) {
        JsonNode node;
        try {
            node = JSON.readTree(rowSchema);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the row schema is not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !"struct".equals(node.path("type").asText())) {
            throw new IllegalArgumentException("the row schema is not a Connect struct schema");
        }
        Map<String, ConnectField> columns = new LinkedHashMap<>();
        for (ConnectField f : of(node).fields()) {
            columns.put(f.field(), f);
        }
        return columns;
    }

    /** Parses one schema node. */
    static ConnectField of(JsonNode node) {
        Map<String, String> params = new LinkedHashMap<>();
        node.path("parameters").fields().forEachRemaining(p -> params.put(p.getKey(), p.getValue().asText()));
        List<ConnectField> fields = new ArrayList<>();
        node.path("fields").forEach(f -> fields.add(of(f)));
        return new ConnectField(node.path("field").asText(null), node.path("type").asText(""), node.path("name").asText(null),
                params, node.has("items") ? of(node.get("items")) : null, node.has("values") ? of(node.get("values")) : null,
                fields);
    }

    /** The PostgreSQL type Debezium reports for the column ({@code column.propagate.source.type}), lower case, or null. */
    public String sourceType() {
        String t = parameters.get(SOURCE_TYPE);
        return t == null ? null : t.toLowerCase(Locale.ROOT);
    }

    /** An integer parameter, or null if absent or not an integer. */
    Integer intParameter(String key) {
        String v = parameters.get(key);
        try {
            return v == null ? null : Integer.valueOf(v.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** How this type is named in messages: the semantic name, else the Connect type (arrays with their items). */
    public String describe() {
        if ("array".equals(type) && items != null) {
            return "array of " + items.describe();
        }
        return name != null ? name : type;
    }
}
