package io.strongroom.testkit;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One generated Kafka record in Debezium's format.
 *
 * @param topic the CDC topic, {@code <prefix>.<tenant>.public.<table>}
 * @param tenant the tenant it belongs to
 * @param table the source table
 * @param op Debezium op ({@code c u d r}), or {@code null} for a tombstone
 * @param key the JSON key bytes
 * @param value the JSON envelope bytes, or {@code null} for a tombstone
 * @param headers Kafka headers, in order (values may be null)
 * @param timestampMs the Kafka record timestamp
 */
public record CdcRecord(String topic, String tenant, String table, String op, byte[] key, byte[] value,
        List<Map.Entry<String, byte[]>> headers, long timestampMs) {

    /** Whether the value contains {@code needle} (for canary checks). */
    public boolean valueContains(String needle) {
        return value != null && new String(value, StandardCharsets.UTF_8).contains(needle);
    }
}
