package io.strongroom.restore;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.SegmentHeader;
import java.util.List;

/**
 * A segment read back from storage, authenticated and decrypted.
 *
 * @param objectKey where it was stored
 * @param header its header
 * @param events its change events, in offset order
 * @param objectBytes size of the stored object
 * @param unreadable one line per record kept in it that this restore cannot decode (a quarantine segment's record
 *     of a newer ChangeEvent schema): reported, never skipped silently
 */
public record RestoredSegment(String objectKey, SegmentHeader header, List<ChangeEvent> events, long objectBytes,
        List<String> unreadable) {

    /** A segment whose every record was decoded. */
    public RestoredSegment(String objectKey, SegmentHeader header, List<ChangeEvent> events, long objectBytes) {
        this(objectKey, header, events, objectBytes, List.of());
    }
}
