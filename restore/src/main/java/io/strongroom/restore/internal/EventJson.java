package io.strongroom.restore.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.RecordHeader;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Locale;

/**
 * The JSONL form of a restored change event: one JSON object per line, row images and keys as
 * JSON, the original Kafka key and header values in base64 so they are reproduced byte for byte.
 *
 * <pre>
 * {"eventId":..,"tenant":..,"table":..,"op":"UPDATE","classification":..,"key":{..},"before":{..},"after":{..},
 *  "eventTimeMs":..,"source":{"topic":..,"partition":..,"offset":..,"timestampMs":..},"sourceInfo":{..},
 *  "originalKeyBase64":..,"headers":[{"key":..,"valueBase64":..}]}
 * </pre>
 */
public final class EventJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private EventJson() {}

    /** The Debezium-style envelope of a change, as a Kafka restore writes it: before, after, op, source, ts_ms. */
    public static String envelope(ChangeEvent e) {
        ObjectNode n = JSON.createObjectNode();
        n.set("before", json(e.getBefore()));
        n.set("after", json(e.getAfter()));
        n.put("op", switch (e.getOp()) {
            case CREATE -> "c";
            case UPDATE -> "u";
            case DELETE -> "d";
            case READ -> "r";
            case TRUNCATE -> "t";
            default -> e.getOp().name().toLowerCase(Locale.ROOT);
        });
        n.set("source", json(e.getSourceInfo()));
        if (e.getEventTimeMs() != null) {
            n.put("ts_ms", e.getEventTimeMs());
        }
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** One line (without the newline). */
    public static String line(ChangeEvent e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("eventId", e.getEventId());
        n.put("tenant", e.getTenant());
        n.put("table", e.getTable());
        n.put("op", e.getOp().name());
        n.put("classification", e.getClassification().name());
        n.set("key", json(e.getKey()));
        n.set("before", json(e.getBefore()));
        n.set("after", json(e.getAfter()));
        if (e.getEventTimeMs() == null) {
            n.putNull("eventTimeMs");
        } else {
            n.put("eventTimeMs", e.getEventTimeMs());
        }
        ObjectNode source = n.putObject("source");
        source.put("topic", e.getSource().getTopic());
        source.put("partition", e.getSource().getPartition());
        source.put("offset", e.getSource().getOffset());
        source.put("timestampMs", e.getSource().getTimestampMs());
        n.set("sourceInfo", json(e.getSourceInfo()));
        n.put("originalKeyBase64", base64(e.getOriginalKey()));
        var headers = n.putArray("headers");
        for (RecordHeader h : e.getHeaders()) {
            headers.addObject().put("key", h.getKey()).put("valueBase64", base64(h.getValue()));
        }
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static JsonNode json(String s) {
        if (s == null) {
            return JSON.nullNode();
        }
        try {
            return JSON.readTree(s);
        } catch (JsonProcessingException ex) {
            return JSON.getNodeFactory().textNode(s);
        }
    }

    private static String base64(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return B64.encodeToString(bytes);
    }
}
