package io.strongroom.archiver;

import io.strongroom.avro.SegmentHeader;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Object names of archived segments. A name derives only from the segment header, so a replayed
 * segment always maps to the same object:
 *
 * <pre>
 * {environment}/{tenant}/{stream}/{yyyy}/{MM}/{dd}/p{partition}/{firstOffset:020}-{lastOffset:020}-{segmentId}.srseg
 * </pre>
 *
 * The date is the segment's seal time (UTC). Zero-padded offsets make a listing sort in offset order.
 */
public final class ObjectNames {
    /** Suffix of segment objects. */
    public static final String SUFFIX = ".srseg";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC);

    private ObjectNames() {}

    /** The object key of a segment. */
    public static String of(SegmentHeader h) {
        // by hand rather than String.format: this runs once per archived segment
        StringBuilder key = new StringBuilder(160).append(h.getEnvironment()).append('/').append(h.getTenant()).append('/')
                .append(h.getStream()).append('/').append(DAY.format(Instant.ofEpochMilli(h.getSealedAtMs())))
                .append("/p").append(h.getSourcePartition()).append('/');
        padded(key, h.getFirstOffset()).append('-');
        return padded(key, h.getLastOffset()).append('-').append(h.getSegmentId()).append(SUFFIX).toString();
    }

    /** {@code value} zero-padded to 20 digits (every non-negative long), so that names sort in offset order. */
    private static StringBuilder padded(StringBuilder into, long value) {
        if (value < 0) { // never a Kafka offset; named as before
            return into.append(String.format("%020d", value));
        }
        String digits = Long.toString(value);
        return into.append("0".repeat(20 - digits.length())).append(digits);
    }

    /** The prefix under which all of a tenant's segments lie in an environment. */
    public static String tenantPrefix(String environment, String tenant) {
        return environment + "/" + tenant + "/";
    }

    /** The prefix under which every tenant's segments lie in an environment. */
    public static String environmentPrefix(String environment) {
        return environment + "/";
    }
}
