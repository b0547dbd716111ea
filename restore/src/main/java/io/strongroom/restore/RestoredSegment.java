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
 */
public record RestoredSegment(String objectKey, SegmentHeader header, List<ChangeEvent> events, long objectBytes) {}
