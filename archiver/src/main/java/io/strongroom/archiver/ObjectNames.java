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
        return String.format("%s/%s/%s/%s/p%d/%020d-%020d-%s%s", h.getEnvironment(), h.getTenant(), h.getStream(),
                DAY.format(Instant.ofEpochMilli(h.getSealedAtMs())), h.getSourcePartition(), h.getFirstOffset(),
                h.getLastOffset(), h.getSegmentId(), SUFFIX);
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
