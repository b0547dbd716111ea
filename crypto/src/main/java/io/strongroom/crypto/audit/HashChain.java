package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.SchemaHistory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * One emitter's hash chain. Event {@code n} carries sequence {@code n}, the hash of event
 * {@code n-1} (32 zero bytes for the first) and its own hash. Two hash formats, told apart by the
 * event's attribute {@value #FORMAT_ATTRIBUTE} (inside what is hashed, so it cannot be switched):
 *
 * <pre>
 * format 2 (attribute hashFormat = "2", written since issue 19):
 *   hash = SHA-256(previousHash || W0)
 *   W0   = the exact bytes written (Avro single-object encoding: C3 01 | 8-byte writer-schema
 *          fingerprint | Avro binary), as they were before the hash was filled in, i.e. with
 *          hash = empty bytes. The written record is W0 with its last byte (00, the empty
 *          bytes' length) replaced by zigzag-varint(32) || hash: {@code hash} is, and stays, the
 *          last field of every AuditEvent schema version (HashChainTest checks the history).
 * format 1 (no attribute; events written before):
 *   hash = SHA-256(previousHash || Avro binary, without header, of the event with hash = empty
 *          and attributes sorted by key, under the schema that wrote it)
 * </pre>
 *
 * Format 2 covers the bytes and the writer schema's fingerprint, so a reader whose schema moved on
 * (an enum grown, a field added) checks exactly what was written; verifying needs those bytes
 * ({@link #hash(AuditEvent, byte[])}). Format 1 is re-encoded under the writer schema named by
 * the written bytes' fingerprint when they are known, else under the current schema (as before,
 * which is wrong for a v1 event whose enum ordinal moved).
 *
 * <p>Not thread-safe: callers serialize {@link #next}.
 */
public final class HashChain {
    /** previousHash of an emitter's first event. */
    public static final byte[] GENESIS = new byte[32];
    /** The attribute naming the hash format; absent on format-1 events. */
    public static final String FORMAT_ATTRIBUTE = "hashFormat";
    /** The format this chain writes. */
    public static final String FORMAT_2 = "2";
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private static final SpecificDatumWriter<AuditEvent> WRITER = new SpecificDatumWriter<>(AuditEvent.class);
    private static final Map<Long, Schema> WRITER_SCHEMAS = writerSchemas();

    /**
     * An event and the exact bytes it is written as (Avro single-object encoding).
     *
     * @param event the event
     * @param bytes what goes on the topic or into a file
     */
    public record Written(AuditEvent event, byte[] bytes) {}

    private final String emitter;
    private long sequence;
    private byte[] previous = GENESIS;

    public HashChain(String emitter) {
        this.emitter = emitter;
    }

    public String emitter() {
        return emitter;
    }

    /** A chain that continues after {@code last}, the latest event of its emitter. */
    public static HashChain resume(AuditEvent last) {
        HashChain chain = new HashChain(last.getEmitter());
        chain.sequence = last.getSequence() + 1;
        byte[] hash = new byte[last.getHash().remaining()];
        last.getHash().duplicate().get(hash);
        chain.previous = hash;
        return chain;
    }

    /** The next event of the chain for {@code record} at {@code timestampMs}. */
    public AuditEvent next(AuditRecord record, long timestampMs) {
        return append(record, timestampMs).event();
    }

    /** The next event of the chain (hash format 2) and the bytes to write: write exactly these. */
    public Written append(AuditRecord record, long timestampMs) {
        return append(record, timestampMs, Map.of());
    }

    /** The sequence the next event will carry. */
    long nextSequence() {
        return sequence;
    }

    /** The hash of the latest event (GENESIS before the first). */
    byte[] previousHash() {
        return previous.clone();
    }

    /** As {@link #append(AuditRecord, long)}, with {@code extra} attributes. */
    Written append(AuditRecord record, long timestampMs, Map<String, String> extra) {
        TreeMap<String, String> attributes = new TreeMap<>(extra);
        attributes.put(FORMAT_ATTRIBUTE, FORMAT_2);
        AuditEvent event = AuditEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setEmitter(emitter).setSequence(sequence).setTimestampMs(timestampMs)
                .setPrincipal(record.principal()).setAction(record.action()).setOutcome(record.outcome())
                .setTenant(record.tenant()).setKeyId(record.keyId()).setKeyVersion(record.keyVersion())
                .setSegmentId(record.segmentId()).setDetail(record.detail()).setAttributes(attributes)
                .setPreviousHash(ByteBuffer.wrap(previous)).setHash(ByteBuffer.allocate(0)).build();
        byte[] unhashed = SERDE.encode(event);
        if (unhashed[unhashed.length - 1] != 0) {
            throw new IllegalStateException("AuditEvent's last field must be its hash");
        }
        byte[] hash = sha256(previous, unhashed);
        byte[] written = Arrays.copyOf(unhashed, unhashed.length + hash.length);
        written[unhashed.length - 1] = (byte) (hash.length << 1); // zigzag varint of 32: one byte
        System.arraycopy(hash, 0, written, unhashed.length, hash.length);
        event.setHash(ByteBuffer.wrap(hash));
        previous = hash;
        sequence++;
        return new Written(event, written);
    }

    /** Whether {@code event} carries a format-2 hash. */
    public static boolean isFormat2(AuditEvent event) {
        return FORMAT_2.equals(event.getAttributes().get(FORMAT_ATTRIBUTE));
    }

    /**
     * The hash {@code event} should carry, recomputed from its content as the current schema
     * encodes it. Right only while the schema that wrote it is the current one: prefer
     * {@link #hash(AuditEvent, byte[])} with the bytes read.
     */
    public static byte[] hash(AuditEvent event) {
        return hash(event, null);
    }

    /**
     * The hash {@code event} should carry, recomputed from {@code written}, the bytes it was read
     * from (null: re-encode it under the current schema).
     *
     * @return the hash, or an empty array if {@code written} cannot be the event's bytes
     */
    public static byte[] hash(AuditEvent event, byte[] written) {
        if (isFormat2(event)) {
            byte[] bytes = written != null ? written : SERDE.encode(event);
            byte[] unhashed = unhashed(bytes, event.getHash());
            return unhashed == null ? new byte[0] : sha256(bytes(event.getPreviousHash()), unhashed);
        }
        Schema writer = written == null ? null : WRITER_SCHEMAS.get(fingerprint(written));
        return writer == null ? format1Current(event) : format1(event, written, writer);
    }

    /** W0 from W: the written bytes with the hash cut off; null if they do not end with {@code hash}. */
    private static byte[] unhashed(byte[] written, ByteBuffer hash) {
        byte[] h = bytes(hash);
        if (h.length != 32 || written.length < 11 + h.length) {
            return null;
        }
        int end = written.length - h.length;
        if (written[end - 1] != (byte) (h.length << 1)
                || !Arrays.equals(written, end, written.length, h, 0, h.length)) {
            return null;
        }
        byte[] unhashed = Arrays.copyOf(written, end);
        unhashed[end - 1] = 0;
        return unhashed;
    }

    private static byte[] format1Current(AuditEvent event) {
        AuditEvent copy = AuditEvent.newBuilder(event).setHash(ByteBuffer.allocate(0))
                .setAttributes(new TreeMap<>(event.getAttributes())).build();
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            WRITER.write(copy, encoder);
            encoder.flush();
            return sha256(bytes(event.getPreviousHash()), bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Format 1 under the schema that wrote {@code written}: the encoding its writer hashed. */
    private static byte[] format1(AuditEvent event, byte[] written, Schema writer) {
        try {
            var decoder = DecoderFactory.get().binaryDecoder(written, 10, written.length - 10, null);
            GenericRecord record = new GenericDatumReader<GenericRecord>(writer, writer).read(null, decoder);
            record.put("hash", ByteBuffer.allocate(0));
            Map<?, ?> attributes = (Map<?, ?>) record.get("attributes");
            TreeMap<String, Object> sorted = new TreeMap<>();
            attributes.forEach((k, v) -> sorted.put(k.toString(), v));
            record.put("attributes", sorted);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            new GenericDatumWriter<GenericRecord>(writer, GenericData.get()).write(record, encoder);
            encoder.flush();
            return sha256(bytes(event.getPreviousHash()), bytes.toByteArray());
        } catch (IOException | RuntimeException e) {
            return new byte[0]; // not decodable as what its header says: cannot match
        }
    }

    private static long fingerprint(byte[] written) {
        if (written.length < 10 || written[0] != (byte) 0xC3 || written[1] != 0x01) {
            return 0;
        }
        return ByteBuffer.wrap(written, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static Map<Long, Schema> writerSchemas() {
        Map<Long, Schema> schemas = new HashMap<>();
        for (Schema s : SchemaHistory.versions(AuditEvent.class.getSimpleName())) {
            schemas.put(SchemaNormalization.parsingFingerprint64(s), s);
        }
        schemas.put(SchemaNormalization.parsingFingerprint64(AuditEvent.getClassSchema()), AuditEvent.getClassSchema());
        return Map.copyOf(schemas);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] sha256(byte[] previous, byte[] content) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(previous);
            return sha.digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
