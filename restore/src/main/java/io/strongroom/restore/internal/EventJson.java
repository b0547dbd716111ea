package io.strongroom.restore.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Op;
import io.strongroom.avro.RecordHeader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Locale;

/**
 * The JSONL form of a restored change event: one JSON object per line, the row images, key and
 * source block written as the JSON text the source sent (never parsed into doubles and printed
 * again: every number keeps its digits and spelling), the original Kafka key and header values in
 * base64 so they are reproduced byte for byte. A record of a raw topic ({@code op} {@code RECORD})
 * also has its value, {@code originalValueBase64}.
 *
 * <pre>
 * {"eventId":..,"tenant":..,"table":..,"op":"UPDATE","classification":..,"key":{..},"before":{..},"after":{..},
 *  "eventTimeMs":..,"source":{"topic":..,"partition":..,"offset":..,"timestampMs":..},"sourceInfo":{..},
 *  "originalKeyBase64":..,"headers":[{"key":..,"valueBase64":..}]}
 * </pre>
 *
 * <p>A field that is not exactly one JSON value (an event a service produced itself can hold any
 * text) is written as a JSON string instead, so every line stays one valid JSON object.
 */
public final class EventJson {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(Integer.MAX_VALUE).build()).build();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private EventJson() {}

    /** The Debezium-style envelope of a change ({@code --as-envelope}): before, after, op, source, ts_ms. */
    public static String envelope(ChangeEvent e) {
        return write(g -> {
            g.writeStartObject();
            json(g, "before", e.getBefore());
            json(g, "after", e.getAfter());
            g.writeStringField("op", switch (e.getOp()) {
                case CREATE -> "c";
                case UPDATE -> "u";
                case DELETE -> "d";
                case READ -> "r";
                case TRUNCATE -> "t";
                default -> e.getOp().name().toLowerCase(Locale.ROOT);
            });
            json(g, "source", e.getSourceInfo());
            if (e.getEventTimeMs() != null) {
                g.writeNumberField("ts_ms", e.getEventTimeMs());
            }
            g.writeEndObject();
        });
    }

    /** One line (without the newline). */
    public static String line(ChangeEvent e) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("eventId", e.getEventId());
            g.writeStringField("tenant", e.getTenant());
            g.writeStringField("table", e.getTable());
            g.writeStringField("op", e.getOp().name());
            g.writeStringField("classification", e.getClassification().name());
            json(g, "key", e.getKey());
            json(g, "before", e.getBefore());
            json(g, "after", e.getAfter());
            if (e.getEventTimeMs() == null) {
                g.writeNullField("eventTimeMs");
            } else {
                g.writeNumberField("eventTimeMs", e.getEventTimeMs());
            }
            g.writeObjectFieldStart("source");
            g.writeStringField("topic", e.getSource().getTopic());
            g.writeNumberField("partition", e.getSource().getPartition());
            g.writeNumberField("offset", e.getSource().getOffset());
            g.writeNumberField("timestampMs", e.getSource().getTimestampMs());
            g.writeEndObject();
            json(g, "sourceInfo", e.getSourceInfo());
            g.writeStringField("originalKeyBase64", base64(e.getOriginalKey()));
            if (e.getOp() == Op.RECORD) {
                g.writeStringField("originalValueBase64", base64(e.getOriginalValue()));
            }
            g.writeArrayFieldStart("headers");
            for (RecordHeader h : e.getHeaders()) {
                g.writeStartObject();
                g.writeStringField("key", h.getKey());
                g.writeStringField("valueBase64", base64(h.getValue()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Body body) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            body.write(g);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toString();
    }

    /** {@code name}: the text as it is if it is one JSON value, else as a JSON string; null as null. */
    private static void json(JsonGenerator g, String name, String text) throws IOException {
        g.writeFieldName(name);
        if (text == null) {
            g.writeNull();
        } else if (isOneJsonValue(text)) {
            g.writeRawValue(text.strip());
        } else {
            g.writeString(text);
        }
    }

    /** Whether {@code text} is exactly one JSON value, with nothing but whitespace around it. */
    static boolean isOneJsonValue(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            int depth = 0;
            JsonToken token = p.nextToken();
            if (token == null) {
                return false;
            }
            do {
                switch (token) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case VALUE_STRING -> p.getTextLength(); // decodes it: a bad escape fails here
                    default -> { }
                }
            } while (depth > 0 && (token = p.nextToken()) != null);
            return depth == 0 && p.nextToken() == null;
        } catch (IOException notJson) {
            return false;
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
