package io.strongroom.ingest.source;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the embedded Debezium PostgreSQL source ({@code strongroom ingest --source postgres}).
 *
 * @param hostname database host
 * @param port database port
 * @param database database to capture (required)
 * @param user a role with {@code REPLICATION} that owns the captured tables (required)
 * @param password its password; prefer {@code passwordFile} or the environment variable
 *     {@code STRONGROOM_INGEST_POSTGRES_PASSWORD} to writing it into the file
 * @param passwordFile a file holding the password (first line)
 * @param tenant the tenant this database belongs to; defaults to the database name
 * @param tables tables to capture as {@code schema.table}; empty captures every table of the publication
 * @param topicPrefix prefix of the CDC topics written, {@code <prefix>.<schema>.<table>}; defaults to
 *     {@code cdc.<tenant>}, which the default {@code ingest.tenant-pattern} maps back to the tenant
 * @param slot logical replication slot; defaults to {@code strongroom_<tenant>}
 * @param publication publication; defaults to {@code strongroom_<tenant>} (created, filtered to {@code tables})
 * @param snapshotMode Debezium snapshot mode: {@code initial} (default), {@code no_data}, {@code when_needed}...
 * @param offsetFile where the source keeps its position; defaults to {@code <data-dir>/postgres/<tenant>.offsets}.
 *     Keep it on a persistent volume: a lost file means a fresh snapshot (duplicates, never loss)
 * @param offsetFlushInterval how often the position is saved
 * @param debezium further Debezium connector properties, passed through unchanged; they override
 *     {@link #DEBEZIUM_DEFAULTS}. The value modes a restore into PostgreSQL decodes:
 *     {@code decimal.handling.mode} precise|string|double (double loses digits beyond a double's),
 *     {@code interval.handling.mode} string|numeric (numeric counts a month as 365.25/12 days: only whole such
 *     months come back as months), {@code time.precision.mode} adaptive|adaptive_time_microseconds|microseconds|
 *     nanoseconds|isostring|connect (connect keeps milliseconds only), {@code hstore.handling.mode} json|map,
 *     {@code binary.handling.mode} bytes. Refused here because a restore could not read them back:
 *     {@code binary.handling.mode} base64, hex or base64-url-safe (Debezium sends an unchanged TOASTed bytea as
 *     null in base64 mode; hex text is also valid base64), another {@code unavailable.value.placeholder} (a restore
 *     recognises Debezium's default), and {@code column.propagate.source.type} (a restore creates tables from it)
 */
public record PostgresSourceConfig(String hostname, Integer port, String database, String user, String password,
        String passwordFile, String tenant, List<String> tables, String topicPrefix, String slot, String publication,
        String snapshotMode, String offsetFile, Duration offsetFlushInterval, Map<String, String> debezium) {

    private static final String IDENT = "[a-z_][a-z0-9_]{0,62}";

    /**
     * The Debezium value modes the source runs with unless {@code debezium} says otherwise: numerics as exact strings
     * (readable by any consumer, exact for a restore), intervals as ISO-8601 strings (exact; Debezium's default
     * microseconds approximate a month), hstore as JSON and bytea as bytes (Debezium's defaults).
     */
    public static final Map<String, String> DEBEZIUM_DEFAULTS = Map.of("decimal.handling.mode", "string",
            "interval.handling.mode", "string", "hstore.handling.mode", "json", "binary.handling.mode", "bytes",
            "time.precision.mode", "adaptive");

    public PostgresSourceConfig {
        hostname = Objects.requireNonNullElse(hostname, "localhost");
        port = Objects.requireNonNullElse(port, 5432);
        tables = List.copyOf(Objects.requireNonNullElse(tables, List.of()));
        snapshotMode = Objects.requireNonNullElse(snapshotMode, "initial");
        offsetFlushInterval = Objects.requireNonNullElse(offsetFlushInterval, Duration.ofSeconds(1));
        debezium = Map.copyOf(Objects.requireNonNullElse(debezium, Map.of()));
        String binary = debezium.get("binary.handling.mode");
        if (binary != null && !binary.equals("bytes")) {
            throw new IllegalArgumentException("ingest.postgres.debezium binary.handling.mode must be bytes (in base64 and hex "
                    + "modes a restore into PostgreSQL cannot read every bytea back), got '" + binary + "'");
        }
        for (String fixed : List.of("unavailable.value.placeholder", "column.propagate.source.type")) {
            if (debezium.containsKey(fixed)) {
                throw new IllegalArgumentException("ingest.postgres.debezium must not set " + fixed + ": a restore into "
                        + "PostgreSQL relies on the source's own setting");
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("ingest.postgres.port must be between 1 and 65535, got " + port);
        }
        for (String table : tables) {
            if (!table.matches("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*")) {
                throw new IllegalArgumentException("ingest.postgres.tables entries must be schema.table, got '" + table + "'");
            }
        }
        if (tenant != null && !tenant.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("ingest.postgres.tenant must be 1-64 of A-Z a-z 0-9 _ -, got '" + tenant + "'");
        }
        if (slot != null && !slot.matches(IDENT)) {
            throw new IllegalArgumentException("ingest.postgres.slot must be 1-63 of a-z 0-9 _ (PostgreSQL's rule), got '" + slot + "'");
        }
        if (publication != null && !publication.matches(IDENT)) {
            throw new IllegalArgumentException("ingest.postgres.publication must be 1-63 of a-z 0-9 _, got '" + publication + "'");
        }
        if (offsetFlushInterval.isNegative() || offsetFlushInterval.isZero()) {
            throw new IllegalArgumentException("ingest.postgres.offset-flush-interval must be positive, got " + offsetFlushInterval);
        }
        if (password != null && passwordFile != null) {
            throw new IllegalArgumentException("ingest.postgres: set password or password-file, not both");
        }
    }

    /** All defaults (no database: the source is off until configured). */
    public static PostgresSourceConfig defaults() {
        return new PostgresSourceConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Checks what {@code --source postgres} needs beyond the defaults. */
    public PostgresSourceConfig requireComplete() {
        if (database == null || database.isBlank()) {
            throw new IllegalArgumentException("ingest.postgres.database is required with --source postgres");
        }
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("ingest.postgres.user is required with --source postgres");
        }
        if (password == null && passwordFile == null) {
            throw new IllegalArgumentException("ingest.postgres: set password-file, or the environment variable "
                    + "STRONGROOM_INGEST_POSTGRES_PASSWORD, with --source postgres");
        }
        String t = effectiveTenant();
        if (!t.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("ingest.postgres.tenant is required: the database name '" + database
                    + "' is not a valid tenant name (1-64 of A-Z a-z 0-9 _ -)");
        }
        return this;
    }

    /** The tenant: {@link #tenant()} or the database name. */
    public String effectiveTenant() {
        return tenant != null ? tenant : database;
    }

    /** The CDC topic prefix. */
    public String effectiveTopicPrefix() {
        return topicPrefix != null ? topicPrefix : "cdc." + effectiveTenant();
    }

    /** The replication slot. */
    public String effectiveSlot() {
        return slot != null ? slot : "strongroom_" + effectiveTenant().toLowerCase(Locale.ROOT).replace('-', '_');
    }

    /** The publication. */
    public String effectivePublication() {
        return publication != null ? publication : effectiveSlot();
    }

    /** The offset file, under {@code dataDir} unless configured. */
    public Path effectiveOffsetFile(Path dataDir) {
        return offsetFile != null ? Path.of(offsetFile) : dataDir.resolve("postgres").resolve(effectiveTenant() + ".offsets");
    }
}
