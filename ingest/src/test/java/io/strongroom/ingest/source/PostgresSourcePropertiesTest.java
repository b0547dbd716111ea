package io.strongroom.ingest.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Debezium value modes: exact defaults, overridable, and refused where a restore could not read them back. */
class PostgresSourcePropertiesTest {
    @TempDir Path dir;

    private static PostgresSourceConfig config(Map<String, String> debezium) {
        return new PostgresSourceConfig(null, null, "shop", "cdc", "pw", null, null, List.of("public.t"), null, null, null, null,
                null, null, debezium);
    }

    @Test
    void defaultsAreExactStringsForNumericsAndIntervals() {
        Properties p = PostgresSource.debeziumProperties(config(null), dir);
        assertThat(p).containsEntry("decimal.handling.mode", "string").containsEntry("interval.handling.mode", "string")
                .containsEntry("hstore.handling.mode", "json").containsEntry("binary.handling.mode", "bytes")
                .containsEntry("time.precision.mode", "adaptive").containsEntry("column.propagate.source.type", ".*");
    }

    @Test
    void debeziumSettingsOverrideTheModes() {
        Properties p = PostgresSource.debeziumProperties(config(Map.of("decimal.handling.mode", "precise",
                "interval.handling.mode", "numeric", "hstore.handling.mode", "map", "time.precision.mode", "nanoseconds")), dir);
        assertThat(p).containsEntry("decimal.handling.mode", "precise").containsEntry("interval.handling.mode", "numeric")
                .containsEntry("hstore.handling.mode", "map").containsEntry("time.precision.mode", "nanoseconds");
    }

    @Test
    void modesARestoreCannotReadBackAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> config(Map.of("binary.handling.mode", "hex"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("binary.handling.mode must be bytes");
        assertThatThrownBy(() -> config(Map.of("binary.handling.mode", "base64"))).hasMessageContaining("must be bytes");
        assertThatThrownBy(() -> config(Map.of("unavailable.value.placeholder", "x")))
                .hasMessageContaining("unavailable.value.placeholder");
        assertThatThrownBy(() -> config(Map.of("column.propagate.source.type", "")))
                .hasMessageContaining("column.propagate.source.type");
    }
}
