package io.strongroom.ingest.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One JSON document as a source sent it: a tree to look into (numbers as exact big decimals and big
 * integers, never doubles) and the exact text of the values near the root, so that row images, keys
 * and source blocks are archived as the bytes they were — {@code 1e-30}, {@code -0} and a
 * 40-digit integer keep their spelling, not just their value.
 *
 * <p>Spans are kept for every value at depth 0–2 ({@code /payload/after}) and for the elements of
 * {@code /schema/fields} (the Connect schema of each envelope field).
 */
final class SourceJson {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(100_000).build()).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private final byte[] bytes;
    private final JsonNode tree;
    private final Map<String, long[]> spans;

    private SourceJson(byte[] bytes, JsonNode tree, Map<String, long[]> spans) {
        this.bytes = bytes;
        this.tree = tree;
        this.spans = spans;
    }

    /**
     * Parses one JSON value; nothing but whitespace may follow it.
     *
     * @throws IOException if {@code bytes} is not exactly one JSON value (the message may quote input: do not pass it on)
     */
    static SourceJson parse(byte[] bytes) throws IOException {
        Map<String, long[]> spans = new HashMap<>();
        try (JsonParser p = FACTORY.createParser(bytes)) {
            if (p.nextToken() == null) {
                return new SourceJson(bytes, null, spans);
            }
            JsonNode tree = read(p, "", 0, spans);
            if (p.nextToken() != null) {
                throw new TrailingContent(p);
            }
            return new SourceJson(bytes, tree, spans);
        }
    }

    /** The document, or null if it was empty. */
    JsonNode tree() {
        return tree;
    }

    /**
     * The exact text of the value at {@code pointer} (e.g. {@code /payload/after}, {@code /schema/fields/3}), or null if
     * there is none or it was not kept.
     */
    String text(String pointer) {
        long[] span = spans.get(pointer);
        return span == null ? null : new String(bytes, (int) span[0], (int) (span[1] - span[0]), StandardCharsets.UTF_8);
    }

    /** The byte offsets {@code [start, end)} of the value at {@code pointer} (as for {@link #text}), or null. */
    int[] span(String pointer) {
        long[] span = spans.get(pointer);
        return span == null ? null : new int[] {(int) span[0], (int) span[1]};
    }

    private static JsonNode read(JsonParser p, String path, int depth, Map<String, long[]> spans) throws IOException {
        boolean keep = depth <= 2 || path.startsWith("/schema/fields/") && depth == 3;
        long start = p.currentTokenLocation().getByteOffset();
        JsonNode node;
        JsonToken token = p.currentToken();
        switch (token) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    o.set(name, read(p, path + "/" + escape(name), depth + 1, spans));
                }
                node = o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(read(p, path + "/" + i++, depth + 1, spans));
                }
                node = a;
            }
            case VALUE_STRING -> node = NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> node = switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> node = NODES.numberNode(p.getDecimalValue());
            case VALUE_TRUE -> node = NODES.booleanNode(true);
            case VALUE_FALSE -> node = NODES.booleanNode(false);
            case VALUE_NULL -> node = NODES.nullNode();
            default -> throw new IOException("unexpected " + token);
        }
        if (keep) {
            spans.put(path, new long[] {start, p.currentLocation().getByteOffset()});
        }
        return node;
    }

    /** JSON pointer escaping of one reference token (RFC 6901). */
    private static String escape(String name) {
        return name.indexOf('~') < 0 && name.indexOf('/') < 0 ? name : name.replace("~", "~0").replace("/", "~1");
    }

    /** Content after the document's one value. */
    static final class TrailingContent extends IOException {
        final long line;
        final long column;

        TrailingContent(JsonParser p) {
            super("content after the JSON value", null);
            this.line = p.currentTokenLocation().getLineNr();
            this.column = p.currentTokenLocation().getColumnNr();
        }
    }
}
