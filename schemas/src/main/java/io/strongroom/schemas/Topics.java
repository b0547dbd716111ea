package io.strongroom.schemas;

import io.strongroom.avro.Alert;
import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.KeyVersionEvent;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/** Strongroom's own topics. Input CDC topics ({@code cdc.*}) are configured, not listed here. */
public final class Topics {
    /** Canonical change events (plaintext; an input topic). Key: tenant/table/primary key. */
    public static final Topic<String, ChangeEvent> CHANGES =
            new Topic<>("strongroom.changes", Serdes.String(), AvroSerde.of(ChangeEvent.class));

    /** Sealed segments: header + ciphertext, see {@code io.strongroom.crypto.SegmentFormat}. Key: tenant/partition. */
    public static final Topic<String, byte[]> SEGMENTS =
            new Topic<>("strongroom.segments", Serdes.String(), Serdes.ByteArray());

    /**
     * Record header on {@link #SEGMENTS}: the SHA-256 (32 bytes) of the record's value, computed by the encryptor as
     * it seals, so the digest the archiver records in manifests and the index covers the bytes from their origin
     * (the archiver computes it itself when a record lacks it).
     */
    public static final String SEGMENT_SHA256_HEADER = "strongroom.sha256";

    /** Key versions (compacted). Key: keyId/version. */
    public static final Topic<String, KeyVersionEvent> KEYS =
            new Topic<>("strongroom.keys", Serdes.String(), AvroSerde.of(KeyVersionEvent.class));

    /** Hash-chained audit events. Key: emitter. */
    public static final Topic<String, AuditEvent> AUDIT =
            new Topic<>("strongroom.audit", Serdes.String(), AvroSerde.of(AuditEvent.class));

    /** Archived segments (compacted). Key: segment id. */
    public static final Topic<String, ArchiveIndexEntry> ARCHIVE_INDEX =
            new Topic<>("strongroom.archive.index", Serdes.String(), AvroSerde.of(ArchiveIndexEntry.class));

    /** Rejected input records. Key: source topic/partition/offset. */
    public static final Topic<String, DeadLetter> INGEST_DLQ =
            new Topic<>("strongroom.ingest.dlq", Serdes.String(), AvroSerde.of(DeadLetter.class));

    /** What the anomaly detector found in the audit trail. Key: principal. */
    public static final Topic<String, Alert> ALERTS =
            new Topic<>("strongroom.alerts", Serdes.String(), AvroSerde.of(Alert.class));

    /** Every topic above. */
    public static final List<Topic<?, ?>> ALL = List.of(CHANGES, SEGMENTS, KEYS, AUDIT, ARCHIVE_INDEX, INGEST_DLQ, ALERTS);

    /**
     * The largest record Strongroom writes for one source record, on {@link #CHANGES}, {@link #INGEST_DLQ} and the
     * encryptor's open-segment store: the largest value ingest accepts ({@code ingest.max-record-bytes}, at most 64 MiB)
     * plus 1 MiB for its key, headers and the event's own fields. Topics and producers on that path allow at least this.
     */
    public static final int MAX_EVENT_BYTES = 65 * 1024 * 1024;

    /**
     * The largest record of {@link #SEGMENTS} for segments of {@code segmentMaxBytes}: a segment is sealed once its
     * plaintext reaches the limit, so it holds up to the limit plus one event of up to {@link #MAX_EVENT_BYTES}, plus
     * 64 KiB for the header and framing.
     */
    public static int segmentRecordBytes(int segmentMaxBytes) {
        return segmentMaxBytes + MAX_EVENT_BYTES + 64 * 1024;
    }

    /** Topics that are compacted rather than deleted by time. */
    public static final List<Topic<?, ?>> COMPACTED = List.of(KEYS, ARCHIVE_INDEX);

    private Topics() {}
}
