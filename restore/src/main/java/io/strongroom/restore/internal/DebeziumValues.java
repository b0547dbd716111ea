package io.strongroom.restore.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Turns one column value of a Debezium PostgreSQL change event, as {@code JsonConverter} wrote it, into the PostgreSQL
 * text literal a restore binds ({@code CAST(? AS type)}), using the column's Connect schema. Encodings, as Debezium
 * 3.6's {@code PostgresValueConverter} and {@code io.debezium.time}/{@code io.debezium.data} write them:
 *
 * <ul>
 *   <li>{@code io.debezium.time.Date}, {@code org.apache.kafka.connect.data.Date}: int32 days since 1970-01-01.
 *   <li>{@code Time} / connect {@code Time}: int32 milliseconds past midnight; {@code MicroTime}: int64 µs;
 *       {@code NanoTime}: int64 ns.
 *   <li>{@code Timestamp} / connect {@code Timestamp}: int64 ms since the epoch (no zone); {@code MicroTimestamp}: µs;
 *       {@code NanoTimestamp}: ns. {@code ±infinity} arrive as pgjdbc's {@code DATE_POSITIVE/NEGATIVE_INFINITY}
 *       (9223372036825200000 / -9223372036832400000 µs, the same in ms divided by 1000; ns as Long.MAX/MIN_VALUE).
 *   <li>{@code ZonedTimestamp}, {@code ZonedTime} (ISO-8601 text in UTC), {@code Interval} (ISO-8601
 *       {@code PnYnMnDTnHnMnS}), {@code IsoDate}/{@code IsoTime}/{@code IsoTimestamp}: text PostgreSQL reads as is.
 *   <li>{@code MicroDuration}: int64 µs where Debezium counted a month as 365.25/12 days
 *       ({@code MicroDuration.DAYS_PER_MONTH_AVG}); whole multiples of that month become months again, the rest days
 *       and time. {@code NanoDuration}: the same in ns.
 *   <li>connect {@code Decimal} (numeric(p,s), and money with scale {@code money.fraction.digits}): base64 of the
 *       unscaled value, big-endian two's complement, scale in the {@code scale} parameter; {@code VariableScaleDecimal}
 *       (plain numeric): struct {@code {"scale":s,"value":base64}}. {@code decimal.handling.mode} string and double:
 *       the text or the JSON number as sent.
 *   <li>{@code Bits} (bit(n), varbit(n), n &gt; 1): base64 of {@code BitSet.toByteArray()}, little-endian (bit 0 is
 *       the last character of the bit string); bit(n) gets its n characters back, varbit the shortest string (Debezium
 *       does not send its leading zeros). bit(1) is a boolean.
 *   <li>bytes (bytea): base64; sent as a string ({@code binary.handling.mode=base64}) also base64.
 *   <li>{@code Json} (json, jsonb, and hstore in {@code hstore.handling.mode=json}), {@code Uuid}, {@code Enum},
 *       {@code Xml}, {@code Ltree}, {@code TsVector}, inet/cidr/macaddr/ranges (plain strings): the text.
 *   <li>map (hstore in {@code map} mode) and hstore as JSON text: rendered {@code "k"=>"v", "k2"=>NULL}.
 *   <li>arrays: JSON arrays of the element encoding, rendered as a PostgreSQL array literal.
 * </ul>
 *
 * <p>The unavailable-value placeholder of an unchanged TOASTed column ({@code __debezium_unavailable_value}, in the
 * forms {@code UnchangedToastedPlaceholder} gives: the text, its bytes, a one-element text, bytes or uuid array, its
 * bytes as an int array, a one-entry hstore) is recognised by {@link #unavailable}: the restore keeps the stored value.
 */
public final class DebeziumValues {
    /** Debezium's default {@code unavailable.value.placeholder}. */
    public static final String PLACEHOLDER = "__debezium_unavailable_value";
    private static final byte[] PLACEHOLDER_BYTES = PLACEHOLDER.getBytes(StandardCharsets.UTF_8);
    private static final String PLACEHOLDER_BASE64 = Base64.getEncoder().encodeToString(PLACEHOLDER_BYTES);
    private static final String PLACEHOLDER_UUID = UUID.nameUUIDFromBytes(PLACEHOLDER_BYTES).toString();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** pgjdbc's {@code PGStatement.DATE_POSITIVE_INFINITY} / {@code DATE_NEGATIVE_INFINITY} (ms), seen here as µs. */
    private static final long POSITIVE_INFINITY_MICROS = 9223372036825200000L;
    private static final long NEGATIVE_INFINITY_MICROS = -9223372036832400000L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    /** Debezium's month: 365.25 / 12 days = 30 days 10:30:00, in µs. */
    private static final long MICROS_PER_MONTH = 2_629_800_000_000L;

    private static final Set<String> TEXT_TYPES = Set.of("io.debezium.time.ZonedTimestamp", "io.debezium.time.ZonedTime",
            "io.debezium.time.Interval", "io.debezium.time.IsoDate", "io.debezium.time.IsoTime",
            "io.debezium.time.IsoTimestamp", "io.debezium.data.Json", "io.debezium.data.Uuid", "io.debezium.data.Enum",
            "io.debezium.data.Xml", "io.debezium.data.Ltree", "io.debezium.data.TsVector");
    private static final Set<String> PRIMITIVES = Set.of("int8", "int16", "int32", "int64", "float", "float32", "double",
            "float64", "boolean", "string", "bytes");

    private DebeziumValues() {}

    /**
     * Checks that every value of {@code f} can be decoded.
     *
     * @throws IllegalArgumentException naming the Debezium type otherwise
     */
    public static void check(ConnectField f) {
        String name = f.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date", "io.debezium.time.Time",
                        "org.apache.kafka.connect.data.Time", "io.debezium.time.MicroTime", "io.debezium.time.NanoTime",
                        "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp",
                        "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp", "io.debezium.time.MicroDuration",
                        "io.debezium.time.NanoDuration", "org.apache.kafka.connect.data.Decimal",
                        "io.debezium.data.VariableScaleDecimal", "io.debezium.data.Bits", "io.debezium.data.geometry.Point" -> {
                    return;
                }
                default -> {
                    if (TEXT_TYPES.contains(name)) {
                        return;
                    }
                    throw new IllegalArgumentException("Debezium type " + name + " (" + f.type() + ") is not one a restore "
                            + "into PostgreSQL decodes");
                }
            }
        }
        switch (f.type()) {
            case "array" -> {
                if (f.items() == null) {
                    throw new IllegalArgumentException("an array schema without items");
                }
                check(f.items());
            }
            case "map" -> {
                if (f.values() == null || !"string".equals(f.values().type()) || f.values().name() != null) {
                    throw new IllegalArgumentException("a map other than string to string (hstore) is not one a restore "
                            + "into PostgreSQL decodes");
                }
            }
            default -> {
                if (!PRIMITIVES.contains(f.type())) {
                    throw new IllegalArgumentException("Connect type " + f.type() + " without a Debezium semantic type is "
                            + "not one a restore into PostgreSQL decodes");
                }
            }
        }
    }

    /**
     * Whether {@code value} is Debezium's placeholder for a value it did not have (an unchanged TOASTed column).
     */
    public static boolean unavailable(ConnectField f, JsonNode value) {
        if (value == null || value.isNull()) {
            return false;
        }
        if (value.isTextual()) {
            String s = value.asText();
            return s.equals(PLACEHOLDER) || s.equals(PLACEHOLDER_BASE64) // bytea as bytes or binary.handling.mode=base64
                    || (s.length() < 200 && s.contains(PLACEHOLDER) && isPlaceholderMap(s));
        }
        if (value.isObject()) { // hstore as a map
            return value.size() == 1 && PLACEHOLDER.equals(value.path(PLACEHOLDER).asText(null));
        }
        if (value.isArray()) {
            if (value.size() == 1 && value.get(0).isTextual()) {
                String s = value.get(0).asText();
                return s.equals(PLACEHOLDER) || s.equals(PLACEHOLDER_BASE64) || s.equals(PLACEHOLDER_UUID);
            }
            if (value.size() != PLACEHOLDER_BYTES.length) {
                return false;
            }
            for (int i = 0; i < PLACEHOLDER_BYTES.length; i++) {
                if (!value.get(i).isIntegralNumber() || value.get(i).asLong() != PLACEHOLDER_BYTES[i]) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean isPlaceholderMap(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isObject() && n.size() == 1 && PLACEHOLDER.equals(n.path(PLACEHOLDER).asText(null));
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /**
     * The PostgreSQL text of {@code value}, or null for SQL NULL.
     *
     * @param f the column's Connect schema ({@link #check}ed)
     * @param value the column's JSON value
     * @param targetType the target column's type as {@code information_schema.columns.udt_name} spells it, or null
     * @throws IllegalArgumentException if the value does not have the form its schema says
     */
    public static String literal(ConnectField f, JsonNode value, String targetType) {
        if (value == null || value.isNull()) {
            return null;
        }
        String name = f.name();
        if (name != null && !TEXT_TYPES.contains(name)) {
            return semantic(f, name, value);
        }
        String source = f.sourceType();
        boolean hstore = "hstore".equals(source) || "hstore".equals(targetType);
        return switch (f.type()) {
            case "array" -> array(f.items(), value, element(targetType));
            case "map" -> hstore(value);
            case "bytes" -> bytea(value);
            case "boolean" -> bit(source, targetType) ? (value.asBoolean() ? "1" : "0") : Boolean.toString(value.asBoolean());
            case "string" -> hstore && "io.debezium.data.Json".equals(name) ? hstore(json(value.asText()))
                    : "bytea".equals(source) || "bytea".equals(targetType) ? bytea(value) : value.asText();
            default -> value.isNumber() ? value.numberValue() instanceof BigDecimal d ? d.toString() : value.asText()
                    : value.asText(); // ints, floats (also "NaN", "Infinity" as sent)
        };
    }

    private static String semantic(ConnectField f, String name, JsonNode value) {
        return switch (name) {
            case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> date(LocalDate.ofEpochDay(value.asLong()));
            case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time" -> time(value.asLong() * 1000);
            case "io.debezium.time.MicroTime" -> time(value.asLong());
            case "io.debezium.time.NanoTime" -> time(Math.floorDiv(value.asLong(), 1000));
            case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp" -> {
                long ms = value.asLong();
                yield ms == POSITIVE_INFINITY_MICROS / 1000 ? "infinity" : ms == NEGATIVE_INFINITY_MICROS / 1000 ? "-infinity"
                        : timestamp(Math.multiplyExact(ms, 1000));
            }
            case "io.debezium.time.MicroTimestamp" -> {
                long us = value.asLong();
                yield us == POSITIVE_INFINITY_MICROS ? "infinity" : us == NEGATIVE_INFINITY_MICROS ? "-infinity" : timestamp(us);
            }
            case "io.debezium.time.NanoTimestamp" -> {
                long ns = value.asLong();
                yield ns == Long.MAX_VALUE ? "infinity" : ns == Long.MIN_VALUE ? "-infinity" : timestamp(Math.floorDiv(ns, 1000));
            }
            case "io.debezium.time.MicroDuration" -> interval(value.asLong());
            case "io.debezium.time.NanoDuration" -> interval(value.asLong() / 1000);
            case "org.apache.kafka.connect.data.Decimal" -> value.isNumber() ? value.asText()
                    : new BigDecimal(new BigInteger(base64(value)), scale(f)).toPlainString();
            case "io.debezium.data.VariableScaleDecimal" -> {
                if (!value.has("value") || !value.has("scale")) {
                    throw new IllegalArgumentException("a VariableScaleDecimal without value and scale");
                }
                yield new BigDecimal(new BigInteger(base64(value.get("value"))), value.get("scale").asInt()).toPlainString();
            }
            case "io.debezium.data.Bits" -> bits(f, base64(value));
            case "io.debezium.data.geometry.Point" -> "(" + value.path("x").asText() + "," + value.path("y").asText() + ")";
            default -> throw new IllegalArgumentException("Debezium type " + name + " is not one a restore decodes");
        };
    }

    private static int scale(ConnectField f) {
        Integer scale = f.intParameter("scale");
        if (scale == null) {
            throw new IllegalArgumentException("a Decimal schema without its scale parameter");
        }
        return scale;
    }

    private static byte[] base64(JsonNode value) {
        if (!value.isTextual()) {
            throw new IllegalArgumentException("expected base64 text, got " + value.getNodeType());
        }
        return Base64.getDecoder().decode(value.asText());
    }

    private static boolean bit(String source, String target) {
        return source != null && (source.equals("bit") || source.equals("varbit") || source.equals("_bit")
                || source.equals("_varbit")) || target != null && (target.equals("bit") || target.equals("varbit"));
    }

    private static String element(String targetType) {
        return targetType != null && targetType.startsWith("_") ? targetType.substring(1) : null;
    }

    private static String bytea(JsonNode value) {
        return "\\x" + HexFormat.of().formatHex(base64(value));
    }

    private static String bits(ConnectField f, byte[] bytes) {
        BitSet bits = BitSet.valueOf(bytes);
        Integer declared = f.intParameter("length");
        boolean varying = f.sourceType() != null && f.sourceType().contains("varbit");
        int length = varying || declared == null ? Math.max(bits.length(), 1) : declared;
        StringBuilder s = new StringBuilder(length);
        for (int i = length - 1; i >= 0; i--) {
            s.append(bits.get(i) ? '1' : '0');
        }
        return s.toString();
    }

    private static String array(ConnectField items, JsonNode value, String elementTarget) {
        if (!value.isArray()) {
            throw new IllegalArgumentException("expected a JSON array, got " + value.getNodeType());
        }
        List<String> out = new ArrayList<>(value.size());
        for (JsonNode e : value) {
            String text = literal(items, e, elementTarget);
            out.add(text == null ? "NULL" : "array".equals(items.type()) ? text : quote(text));
        }
        return "{" + String.join(",", out) + "}";
    }

    private static String quote(String element) {
        return "\"" + element.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("an hstore value that is not a JSON object");
        }
    }

    private static String hstore(JsonNode map) {
        if (!map.isObject()) {
            throw new IllegalArgumentException("an hstore value that is not a JSON object");
        }
        List<String> pairs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            pairs.add(quote(e.getKey()) + "=>" + (e.getValue().isNull() ? "NULL" : quote(e.getValue().asText())));
        }
        return String.join(", ", pairs);
    }

    private static String date(LocalDate d) {
        int year = d.getYear();
        String s = String.format("%04d-%02d-%02d", year > 0 ? year : 1 - year, d.getMonthValue(), d.getDayOfMonth());
        return year > 0 ? s : s + " BC";
    }

    /** {@code HH:MM:SS.ffffff}; 24:00:00 (PostgreSQL allows it) included. */
    private static String time(long micros) {
        long seconds = Math.floorDiv(micros, 1_000_000L);
        long fraction = Math.floorMod(micros, 1_000_000L);
        return String.format("%02d:%02d:%02d.%06d", seconds / 3600, seconds / 60 % 60, seconds % 60, fraction);
    }

    private static String timestamp(long micros) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
        int year = t.getYear();
        String s = String.format("%04d-%02d-%02d %02d:%02d:%02d.%06d", year > 0 ? year : 1 - year, t.getMonthValue(),
                t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1000);
        return year > 0 ? s : s + " BC";
    }

    /** µs as Debezium's MicroDuration counted them, back to months (of 365.25/12 days), days and time. */
    static String interval(long micros) {
        String sign = micros < 0 ? "-" : "";
        long rest = Math.abs(micros);
        long months = rest / MICROS_PER_MONTH;
        rest %= MICROS_PER_MONTH;
        long days = rest / MICROS_PER_DAY;
        rest %= MICROS_PER_DAY;
        return sign + months + " mons " + sign + days + " days " + sign + time(rest);
    }
}
