package io.strongroom.restore.internal;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The column types a restore creates PostgreSQL tables with, and the only SQL a column type from an
 * event can become. Column types travel in {@code ChangeEvent.columns}, which whoever produced the
 * event wrote, so they are data, not SQL: a type is a name from the list below, optionally with
 * integer modifiers in that type's range and array brackets, and it is rendered by this class from
 * the list's own spelling and {@link Integer#toString} — nothing of the input is echoed into SQL.
 * Anything else ({@code DEFAULT}, {@code GENERATED}, {@code COLLATE}, {@code CHECK}, quotes,
 * semicolons, unknown names such as enums or domains) is refused.
 *
 * <p>Accepted: the type names Debezium's PostgreSQL connector reports (pg_type names such as
 * {@code int4}, {@code bpchar}, {@code timestamptz}, arrays as {@code _int4}) and their SQL
 * spellings ({@code integer}, {@code character varying}, {@code double precision}, …), with
 * modifiers {@code numeric(p[,s])} (p 1–1000, s −1000–1000; {@code numeric(0)}, {@code numeric(0,0)} and
 * {@code numeric(131089,0)}, how a numeric without precision is reported, are plain {@code numeric}), {@code varchar(n)}/{@code char(n)}/
 * {@code bpchar(n)} (n 1–10485760), {@code bit(n)}/{@code varbit(n)} (n 1–83886080),
 * {@code time}/{@code timetz}/{@code timestamp}/{@code timestamptz}/{@code interval} (p 0–6),
 * {@code float(p)} (p 1–53); arrays as {@code _name} or {@code name[]} (up to 6 dimensions).
 */
public final class PostgresColumnType {
    /** How many modifiers a type takes, and their ranges. */
    private enum Modifiers {
        NONE(0, 0, 0, 0, 0), NUMERIC(2, 1, 1000, -1000, 1000), LENGTH(1, 1, 10_485_760, 0, 0), BITS(1, 1, 83_886_080, 0, 0),
        SECONDS(1, 0, 6, 0, 0), FLOAT(1, 1, 53, 0, 0);

        final int max;
        final int firstMin;
        final int firstMax;
        final int secondMin;
        final int secondMax;

        Modifiers(int max, int firstMin, int firstMax, int secondMin, int secondMax) {
            this.max = max;
            this.firstMin = firstMin;
            this.firstMax = firstMax;
            this.secondMin = secondMin;
            this.secondMax = secondMax;
        }
    }

    private record Name(String sql, Modifiers modifiers) {}

    private static final Map<String, Name> NAMES = names();
    private static final int MAX_DIMENSIONS = 6;
    /** The length pgjdbc reports for a numeric declared without precision. */
    private static final int UNCONSTRAINED_NUMERIC_LENGTH = 131089;
    private static final Pattern TYPE = Pattern.compile(
            "(_?)([a-z][a-z0-9_]*(?: [a-z][a-z0-9_]*)*)(?: ?\\( ?(-?[0-9]{1,8}) ?(?:, ?(-?[0-9]{1,8}) ?)?\\))?((?: ?\\[ ?\\])*)");

    private PostgresColumnType() {}

    private static Map<String, Name> names() {
        Map<String, Name> n = new HashMap<>();
        for (String[] aliases : new String[][] {{"smallint", "int2"}, {"integer", "int4", "int"}, {"bigint", "int8"},
                {"real", "float4"}, {"double precision", "float8"}, {"boolean", "bool"}, {"text"}, {"bytea"}, {"date"},
                {"uuid"}, {"json"}, {"jsonb"}, {"xml"}, {"inet"}, {"cidr"}, {"macaddr"}, {"macaddr8"}, {"money"}, {"point"},
                {"line"}, {"lseg"}, {"box"}, {"path"}, {"polygon"}, {"circle"}, {"tsvector"}, {"tsquery"}, {"oid"},
                {"pg_lsn"}, {"int4range"}, {"int8range"}, {"numrange"}, {"tsrange"}, {"tstzrange"}, {"daterange"},
                {"int4multirange"}, {"int8multirange"}, {"nummultirange"}, {"tsmultirange"}, {"tstzmultirange"},
                {"datemultirange"}, {"citext"}, {"hstore"}, {"ltree"}, {"geometry"}, {"geography"}}) {
            for (String alias : aliases) {
                n.put(alias, new Name(aliases[0], Modifiers.NONE));
            }
        }
        put(n, Modifiers.NUMERIC, "numeric", "numeric", "decimal");
        put(n, Modifiers.LENGTH, "varchar", "varchar", "character varying");
        put(n, Modifiers.LENGTH, "char", "char", "character");
        put(n, Modifiers.LENGTH, "bpchar", "bpchar"); // without a length: blank-padded, unlimited (char alone is char(1))
        put(n, Modifiers.BITS, "bit", "bit");
        put(n, Modifiers.BITS, "varbit", "varbit", "bit varying");
        put(n, Modifiers.SECONDS, "time", "time", "time without time zone");
        put(n, Modifiers.SECONDS, "timetz", "timetz", "time with time zone");
        put(n, Modifiers.SECONDS, "timestamp", "timestamp", "timestamp without time zone");
        put(n, Modifiers.SECONDS, "timestamptz", "timestamptz", "timestamp with time zone");
        put(n, Modifiers.SECONDS, "interval", "interval");
        put(n, Modifiers.FLOAT, "float", "float");
        return Map.copyOf(n);
    }

    private static boolean unconstrained(String precision, String scale) {
        int p = Integer.parseInt(precision);
        return (p == 0 || p == UNCONSTRAINED_NUMERIC_LENGTH) && (scale == null || Integer.parseInt(scale) == 0);
    }

    private static void put(Map<String, Name> n, Modifiers modifiers, String sql, String... aliases) {
        for (String alias : aliases) {
            n.put(alias, new Name(sql, modifiers));
        }
    }

    /**
     * The SQL of {@code type}, as this class spells it.
     *
     * @throws IllegalArgumentException if {@code type} is not a type of the list above with modifiers in range
     */
    public static String sql(String type) {
        if (type == null || type.length() > 100) {
            throw new IllegalArgumentException(type == null ? "no type" : "longer than 100 characters");
        }
        String normalized = type.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        Matcher m = TYPE.matcher(normalized);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a type name with optional integer modifiers and []");
        }
        Name name = NAMES.get(m.group(2));
        if (name == null) {
            throw new IllegalArgumentException("'" + m.group(2) + "' is not one of the PostgreSQL types a restore creates");
        }
        Modifiers mods = name.modifiers();
        StringBuilder sql = new StringBuilder(name.sql());
        if (m.group(3) != null && mods == Modifiers.NUMERIC && unconstrained(m.group(3), m.group(4))) {
            // numeric(0[,0]) or pgjdbc's numeric(131089,0): how a numeric without precision is reported; plain numeric
        } else if (m.group(3) != null) {
            int count = m.group(4) == null ? 1 : 2;
            if (count > mods.max) {
                throw new IllegalArgumentException(name.sql() + (mods.max == 0 ? " takes no modifiers"
                        : " takes at most " + mods.max + " modifier" + (mods.max == 1 ? "" : "s")));
            }
            int first = Integer.parseInt(m.group(3));
            if (first < mods.firstMin || first > mods.firstMax) {
                throw new IllegalArgumentException(name.sql() + "'s first modifier must be " + mods.firstMin + "–" + mods.firstMax);
            }
            sql.append('(').append(first);
            if (count == 2) {
                int second = Integer.parseInt(m.group(4));
                if (second < mods.secondMin || second > mods.secondMax) {
                    throw new IllegalArgumentException(name.sql() + "'s second modifier must be " + mods.secondMin + "–"
                            + mods.secondMax);
                }
                sql.append(',').append(second);
            }
            sql.append(')');
        }
        int dimensions = (m.group(1).isEmpty() ? 0 : 1) + (int) m.group(5).chars().filter(c -> c == '[').count();
        if (dimensions > MAX_DIMENSIONS) {
            throw new IllegalArgumentException("more than " + MAX_DIMENSIONS + " array dimensions");
        }
        sql.append("[]".repeat(dimensions));
        return sql.toString();
    }
}
