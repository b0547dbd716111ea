package io.strongroom.crypto;

import com.github.luben.zstd.Zstd;
import com.google.crypto.tink.Aead;
import io.strongroom.avro.Compression;
import io.strongroom.avro.Crc32c;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.kms.AesGcmDek;
import io.strongroom.crypto.kms.DekContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seals a batch of records into a {@link Segment} under one data key, and opens it again.
 *
 * <p>Body plaintext: the records, each as {@code int32 length | bytes}, compressed with zstd
 * (level 3). Body ciphertext: {@code AEAD(dek).encrypt(compressed, associatedData(header))}.
 *
 * <p>Associated data, format version 1 (strings are {@code int32 length | UTF-8}, integers
 * big-endian):
 *
 * <pre>
 * "SRSEG-AAD" | u8 formatVersion | str environment | str tenant | str stream | str sourceTopic
 * | i32 sourcePartition | i64 firstOffset | i64 lastOffset | i32 recordCount | i64 minEventTimeMs
 * | i64 maxEventTimeMs | i64 sealedAtMs | str segmentId | str predecessorSegmentId ("" if none)
 * | str compression | i64 plaintextBytes
 * </pre>
 *
 * <p>Key id, key version, wrapped DEK and DEK algorithm are deliberately <em>not</em> bound, so a
 * rewrap can replace them without touching the body. The wrapped DEK is bound separately to
 * {@link DekContext environment, tenant and segment id}. Moving,
 * truncating, reordering or swapping segments therefore fails authentication.
 */
public final class SegmentCrypto {
    /** Largest plaintext batch accepted when opening (guards against decompression bombs). */
    public static final long MAX_PLAINTEXT_BYTES = 512L * 1024 * 1024;
    private static final int ZSTD_LEVEL = 3;

    private SegmentCrypto() {}

    /**
     * Seals {@code records} under {@code dek}.
     *
     * @param header the header with every field set except {@code compression},
     *     {@code plaintextBytes} and {@code bodyCrc32c}, which are filled in here
     */
    public static Segment seal(SegmentHeader.Builder header, List<byte[]> records, Aead dek) {
        return seal(header, records, dek, Compression.ZSTD);
    }

    /** As {@link #seal(SegmentHeader.Builder, List, Aead)}, choosing the compression. */
    public static Segment seal(SegmentHeader.Builder header, List<byte[]> records, Aead dek, Compression compression) {
        int size = batchSize(records);
        // Uncompressed batches only feed the cipher: build them in a reused per-thread buffer.
        boolean reuse = compression == Compression.NONE && dek instanceof AesGcmDek && size <= REUSED_BATCH_LIMIT;
        byte[] batch = reuse ? reusedBatch(size) : new byte[size];
        fill(batch, records);
        byte[] compressed = compression == Compression.ZSTD ? Zstd.compress(batch, ZSTD_LEVEL) : batch;
        int payloadLength = compression == Compression.ZSTD ? compressed.length : size;
        header.setCompression(compression).setPlaintextBytes(size).setBodyCrc32c(new Crc32c(new byte[4]));
        SegmentHeader draft = header.build();
        byte[] aad = associatedData(draft);
        try {
            if (!(dek instanceof AesGcmDek gcm)) {
                byte[] body = dek.encrypt(compressed.length == payloadLength ? compressed
                        : Arrays.copyOf(compressed, payloadLength), aad);
                draft.setBodyCrc32c(Segment.crc32c(body));
                return new Segment(draft, body);
            }
            // Encrypt straight into the frame: the CRC is fixed-size, so the header's length is known now.
            int headerLength = Segment.HEADER_SERDE.encode(draft).length;
            int bodyOffset = Segment.PREAMBLE + headerLength;
            byte[] frame = new byte[bodyOffset + AesGcmDek.ciphertextSize(payloadLength)];
            gcm.encrypt(ByteBuffer.wrap(compressed, 0, payloadLength), aad, ByteBuffer.wrap(frame, bodyOffset, frame.length - bodyOffset));
            draft.setBodyCrc32c(Segment.crc32c(frame, bodyOffset, frame.length - bodyOffset));
            Segment.writePreamble(frame, Segment.HEADER_SERDE.encode(draft));
            return Segment.ofFrame(draft, frame, bodyOffset);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed", e);
        }
    }

    /**
     * Decrypts and checks a segment, returning its records in order.
     *
     * @param where names the segment in errors (object key, topic/partition/offset)
     * @throws SegmentFormatException if the body does not authenticate against the header (tampered,
     *     moved or swapped segment, or wrong key), or the batch is malformed
     */
    public static List<byte[]> open(String where, Segment segment, Aead dek) {
        List<ByteBuffer> views = openViews(where, segment, dek);
        List<byte[]> records = new ArrayList<>(views.size());
        for (ByteBuffer v : views) {
            byte[] r = new byte[v.remaining()];
            v.get(r);
            records.add(r);
        }
        return records;
    }

    /**
     * As {@link #open(String, Segment, Aead)}, but the records are read-only views into one
     * decrypted batch, without copying each of them.
     */
    public static List<ByteBuffer> openViews(String where, Segment segment, Aead dek) {
        SegmentHeader h = segment.header();
        byte[] compressed;
        try {
            compressed = dek instanceof AesGcmDek gcm ? gcm.decrypt(segment.bodyForDecryption(), associatedData(h))
                    : dek.decrypt(segment.body(), associatedData(h));
        } catch (GeneralSecurityException e) {
            throw new SegmentFormatException(where + ": segment " + h.getSegmentId() + " (tenant " + h.getTenant()
                    + ", " + h.getSourceTopic() + "/" + h.getSourcePartition() + " offsets " + h.getFirstOffset() + ".."
                    + h.getLastOffset() + ") failed authentication: its header, body or data key was altered, or it was moved");
        }
        if (h.getPlaintextBytes() < 0 || h.getPlaintextBytes() > MAX_PLAINTEXT_BYTES) {
            throw new SegmentFormatException(where + ": segment " + h.getSegmentId() + " declares "
                    + h.getPlaintextBytes() + " plaintext bytes (limit " + MAX_PLAINTEXT_BYTES + ")");
        }
        byte[] batch = h.getCompression() == Compression.ZSTD
                ? Zstd.decompress(compressed, (int) h.getPlaintextBytes())
                : compressed;
        List<ByteBuffer> records = unbatch(where, batch);
        if (records.size() != h.getRecordCount()) {
            throw new SegmentFormatException(where + ": segment " + h.getSegmentId() + " holds " + records.size()
                    + " records but its header says " + h.getRecordCount());
        }
        return records;
    }

    /** The AEAD associated data of a segment body; see the class comment for the layout. */
    public static byte[] associatedData(SegmentHeader h) {
        return Canonical.bytes(128, out -> {
            out.write("SRSEG-AAD".getBytes(StandardCharsets.US_ASCII));
            out.writeByte(h.getFormatVersion());
            Canonical.str(out, h.getEnvironment());
            Canonical.str(out, h.getTenant());
            Canonical.str(out, h.getStream());
            Canonical.str(out, h.getSourceTopic());
            out.writeInt(h.getSourcePartition());
            out.writeLong(h.getFirstOffset());
            out.writeLong(h.getLastOffset());
            out.writeInt(h.getRecordCount());
            out.writeLong(h.getMinEventTimeMs());
            out.writeLong(h.getMaxEventTimeMs());
            out.writeLong(h.getSealedAtMs());
            Canonical.str(out, h.getSegmentId());
            Canonical.str(out, h.getPredecessorSegmentId() == null ? "" : h.getPredecessorSegmentId());
            Canonical.str(out, h.getCompression().name());
            out.writeLong(h.getPlaintextBytes());
        });
    }



    private static final int REUSED_BATCH_LIMIT = 8 * 1024 * 1024;
    private static final ThreadLocal<byte[]> REUSED_BATCH = ThreadLocal.withInitial(() -> new byte[0]);

    private static byte[] reusedBatch(int size) {
        byte[] buffer = REUSED_BATCH.get();
        if (buffer.length < size) {
            buffer = new byte[Math.max(size, Math.min(REUSED_BATCH_LIMIT, buffer.length * 2))];
            REUSED_BATCH.set(buffer);
        }
        return buffer;
    }

    private static int batchSize(List<byte[]> records) {
        int size = 0;
        for (byte[] r : records) {
            size += 4 + r.length;
        }
        return size;
    }

    private static void fill(byte[] batch, List<byte[]> records) {
        ByteBuffer out = ByteBuffer.wrap(batch);
        for (byte[] r : records) {
            out.putInt(r.length).put(r);
        }
    }


    static List<ByteBuffer> unbatch(String where, byte[] batch) {
        List<ByteBuffer> records = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(batch).asReadOnlyBuffer();
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw new SegmentFormatException(where + ": malformed record batch (dangling " + in.remaining() + " bytes)");
            }
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new SegmentFormatException(where + ": malformed record batch (record length " + length + ")");
            }
            records.add(in.slice(in.position(), length));
            in.position(in.position() + length);
        }
        return records;
    }
}
