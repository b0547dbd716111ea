package io.strongroom.restore.internal;

import java.util.Set;

/**
 * The PostgreSQL column type a restore creates a missing table with, from a column's Connect schema. The type
 * Debezium reports for the source column ({@code column.propagate.source.type}: {@code __debezium.source.column.type},
 * {@code .length}, {@code .scale}) comes first; without it, or for a type {@link PostgresColumnType} does not create
 * (an enum, a domain), the semantic type decides. Plain numeric (Debezium's length 0 or 131089) stays {@code numeric};
 * an enum becomes {@code text} (its values kept, the type not recreated). Every result is spelled by
 * {@link PostgresColumnType}, never taken from the event.
 */
public final class DebeziumColumnTypes {
    /** pgjdbc's length of a numeric without precision. */
    private static final int VARIABLE_SCALE_DECIMAL_LENGTH = 131089;
    private static final Set<String> LENGTHS = Set.of("varchar", "bpchar", "bit", "varbit");
    private static final Set<String> SECONDS = Set.of("time", "timetz", "timestamp", "timestamptz", "interval");

    private DebeziumColumnTypes() {}

    /**
     * The SQL type of a column.
     *
     * @throws IllegalArgumentException naming the Debezium type if there is none a restore creates
     */
    public static String sql(ConnectField f) {
        String source = f.sourceType();
        if (source != null) {
            try {
                return PostgresColumnType.sql(withModifiers(f, source));
            } catch (IllegalArgumentException e) {
                // an enum, a domain, an extension's type: by its semantic type
            }
        }
        String semantic = semantic(f);
        if (semantic == null) {
            throw new IllegalArgumentException("Debezium type " + f.describe()
                    + (source == null ? "" : " (source type " + source + ")") + " has no PostgreSQL column type a restore creates");
        }
        return PostgresColumnType.sql(semantic);
    }

    private static String withModifiers(ConnectField f, String source) {
        boolean array = source.startsWith("_");
        String base = array ? source.substring(1) : source;
        Integer length = f.intParameter("__debezium.source.column.length");
        Integer scale = f.intParameter("__debezium.source.column.scale");
        String mods = "";
        if ((base.equals("numeric") || base.equals("decimal")) && length != null && length > 0
                && length != VARIABLE_SCALE_DECIMAL_LENGTH && length <= 1000) {
            mods = "(" + length + (scale != null ? "," + scale : "") + ")";
        } else if (LENGTHS.contains(base) && length != null && length > 0 && length <= 10_485_760) {
            mods = "(" + length + ")";
        } else if (SECONDS.contains(base) && scale != null && scale >= 0 && scale <= 6) {
            mods = "(" + scale + ")";
        }
        return base + mods + (array ? "[]" : "");
    }

    private static String semantic(ConnectField f) {
        if (f.name() != null) {
            return switch (f.name()) {
                case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date", "io.debezium.time.IsoDate" -> "date";
                case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time" -> "time(3)";
                case "io.debezium.time.MicroTime", "io.debezium.time.NanoTime", "io.debezium.time.IsoTime" -> "time";
                case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp" -> "timestamp(3)";
                case "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp", "io.debezium.time.IsoTimestamp" ->
                        "timestamp";
                case "io.debezium.time.ZonedTimestamp" -> "timestamptz";
                case "io.debezium.time.ZonedTime" -> "timetz";
                case "io.debezium.time.MicroDuration", "io.debezium.time.NanoDuration", "io.debezium.time.Interval" ->
                        "interval";
                case "org.apache.kafka.connect.data.Decimal" -> {
                    Integer precision = f.intParameter("connect.decimal.precision");
                    Integer scale = f.intParameter("scale");
                    yield precision == null || precision < 1 || precision > 1000 ? "numeric"
                            : "numeric(" + precision + (scale == null ? "" : "," + scale) + ")";
                }
                case "io.debezium.data.VariableScaleDecimal" -> "numeric";
                case "io.debezium.data.Json" -> "json";
                case "io.debezium.data.Uuid" -> "uuid";
                case "io.debezium.data.Enum" -> "text";
                case "io.debezium.data.Xml" -> "xml";
                case "io.debezium.data.Ltree" -> "ltree";
                case "io.debezium.data.TsVector" -> "tsvector";
                case "io.debezium.data.geometry.Point" -> "point";
                case "io.debezium.data.Bits" -> {
                    Integer length = f.intParameter("length");
                    yield length == null || length < 1 ? "varbit" : "varbit(" + length + ")";
                }
                default -> null;
            };
        }
        return switch (f.type()) {
            case "int8", "int16" -> "smallint";
            case "int32" -> "integer";
            case "int64" -> "bigint";
            case "float", "float32" -> "real";
            case "double", "float64" -> "double precision";
            case "boolean" -> "boolean";
            case "string" -> "text";
            case "bytes" -> "bytea";
            case "map" -> "hstore";
            case "array" -> {
                String element = f.items() == null ? null : semantic(f.items());
                yield element == null ? null : element + "[]";
            }
            default -> null;
        };
    }
}
