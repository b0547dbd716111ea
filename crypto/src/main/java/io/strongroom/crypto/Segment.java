package io.strongroom.crypto;

import io.strongroom.avro.Crc32c;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.schemas.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A sealed segment as it travels on {@code strongroom.segments} and lies in object storage.
 *
 * <p>Byte layout (format version 1, all integers big-endian):
 *
 * <pre>
 * offset  size  field
 * 0       5     magic "SRSEG" (ASCII)
 * 5       1     format version (1)
 * 6       4     header length n
 * 10      n     header: {@link SegmentHeader}, Avro single-object encoded
 * 10+n    rest  body: AES-256-GCM ciphertext {@code iv (12) | ciphertext | tag (16)} of the batch
 * </pre>
 *
 * <p>The header is cleartext so that the archiver can name and check a segment without any key,
 * and so that the object alone plus the KMS suffices to decrypt it. Its {@code bodyCrc32c} lets
 * storage integrity be checked without keys; authenticity comes from the AEAD, whose associated
 * data is {@link SegmentCrypto#associatedData(SegmentHeader)}. The check is a CRC32C, not a
 * cryptographic hash: it catches corruption in storage or transit cheaply (a SHA-256 pass cost
 * more than the encryption itself); tampering is caught by the AEAD.
 *
 * <p>A parsed segment keeps the bytes it was parsed from and reads its body in place.
 */
public final class Segment {
    /** Current format version. */
    public static final int FORMAT_VERSION = 1;

    /**
     * Reserved {@link SegmentHeader#getStream() stream} of a <em>quarantine segment</em>: one record the encryptor could
     * not decode (a ChangeEvent schema it does not know, e.g. from a newer ingest during a rolling upgrade), sealed as it
     * came, under its tenant's key, instead of being dropped. Same format, AAD and chain as any segment; its one record
     * is a {@link DeadLetterPayload} (the {@code strongroom.changes} record's key, value and headers,
     * byte for byte), and the header's source topic, partition and first (= last) offset say where it was read.
     */
    public static final String QUARANTINE_STREAM = "strongroom-quarantine";

    static final byte[] MAGIC = "SRSEG".getBytes(StandardCharsets.US_ASCII);
    static final int PREAMBLE = MAGIC.length + 1 + 4;
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    static final AvroSerde<SegmentHeader> HEADER_SERDE = AvroSerde.of(SegmentHeader.class);

    private final SegmentHeader header;
    private final byte[] bytes;
    private final int bodyOffset;

    private Segment(SegmentHeader header, byte[] bytes, int bodyOffset) {
        this.header = Objects.requireNonNull(header, "header");
        this.bytes = bytes;
        this.bodyOffset = bodyOffset;
    }

    /** A segment of {@code header} and ciphertext {@code body} (framed here). */
    public Segment(SegmentHeader header, byte[] body) {
        this(header, frame(header, Objects.requireNonNull(body, "body")), frameBodyOffset(header));
    }

    /** A segment whose frame {@code bytes} were written by {@link SegmentCrypto}, body at {@code bodyOffset}. */
    static Segment ofFrame(SegmentHeader header, byte[] bytes, int bodyOffset) {
        return new Segment(header, bytes, bodyOffset);
    }

    public SegmentHeader header() {
        return header;
    }

    /** The data key as the header has it. */
    public WrappedDek wrappedDek() {
        byte[] wrapped = new byte[header.getWrappedDek().remaining()];
        header.getWrappedDek().duplicate().get(wrapped);
        return new WrappedDek(header.getKeyId(), header.getKeyVersion(), header.getDekAlgorithm(), wrapped);
    }

    /**
     * This segment with its data key wrapped as {@code dek} instead (a rewrap recorded in the manifests, which leaves
     * the object as it is): {@link #header()} names the new key, the body is shared and {@link #toBytes()} is still
     * the frame as stored. Key id, version and wrapped key are not in the body's associated data, so this opens
     * exactly when {@code dek} unwraps to the segment's data key.
     */
    public Segment withKey(WrappedDek dek) {
        SegmentHeader rekeyed = SegmentHeader.newBuilder(header).setKeyId(dek.keyId()).setKeyVersion(dek.keyVersion())
                .setDekAlgorithm(dek.algorithm()).setWrappedDek(ByteBuffer.wrap(dek.bytes().clone())).build();
        return new Segment(rekeyed, bytes, bodyOffset);
    }


    /**
     * The body as an array-backed buffer for decryption in place (JCE takes its fast path only for
     * buffers with an accessible array, which read-only views are not). Not to be written to.
     */
    ByteBuffer bodyForDecryption() {
        return ByteBuffer.wrap(bytes, bodyOffset, bytes.length - bodyOffset);
    }

    /** A copy of the ciphertext body. */
    public byte[] body() {
        return Arrays.copyOfRange(bytes, bodyOffset, bytes.length);
    }

    /** The segment in the layout above (the same array on every call: do not modify it). */
    public byte[] toBytes() {
        return bytes;
    }

    private static int frameBodyOffset(SegmentHeader header) {
        return PREAMBLE + HEADER_SERDE.encode(header).length;
    }

    private static byte[] frame(SegmentHeader header, byte[] body) {
        byte[] headerBytes = HEADER_SERDE.encode(header);
        byte[] out = new byte[PREAMBLE + headerBytes.length + body.length];
        writePreamble(out, headerBytes);
        System.arraycopy(body, 0, out, PREAMBLE + headerBytes.length, body.length);
        return out;
    }

    static void writePreamble(byte[] frame, byte[] headerBytes) {
        ByteBuffer.wrap(frame).put(MAGIC).put((byte) FORMAT_VERSION).putInt(headerBytes.length).put(headerBytes);
    }

    /**
     * The header of a segment from the start of its frame (the preamble and the header at least, for example the
     * first 64 KiB of an object): what a rewrap needs without fetching the body. The body is not checked.
     *
     * @throws SegmentFormatException naming {@code where} and what is wrong
     */
    public static SegmentHeader parseHeader(String where, byte[] prefix) {
        return readHeader(where, prefix);
    }

    /** Bytes from the start of a frame that always hold its preamble and header. */
    public static int maxHeaderPrefix() {
        return PREAMBLE + MAX_HEADER_BYTES;
    }

    private static SegmentHeader readHeader(String where, byte[] bytes) {
        return readHeader(where, bytes == null ? null : ByteBuffer.wrap(bytes));
    }

    /** The header of the frame from {@code frame}'s position to its limit; {@code frame} itself is not moved. */
    private static SegmentHeader readHeader(String where, ByteBuffer frame) {
        if (frame == null || frame.remaining() < PREAMBLE) {
            throw new SegmentFormatException(where + ": not a Strongroom segment (too short: "
                    + (frame == null ? 0 : frame.remaining()) + " bytes)");
        }
        ByteBuffer in = frame.slice();
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new SegmentFormatException(where + ": not a Strongroom segment (bad magic)");
        }
        int version = Byte.toUnsignedInt(in.get());
        if (version != FORMAT_VERSION) {
            throw new SegmentFormatException(where + ": unsupported segment format version " + version
                    + " (this build reads version " + FORMAT_VERSION + ")");
        }
        int headerLength = in.getInt();
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > in.remaining()) {
            throw new SegmentFormatException(where + ": truncated or corrupt segment (header length "
                    + headerLength + ", " + in.remaining() + " bytes left)");
        }
        SegmentHeader header;
        try {
            header = HEADER_SERDE.decode(where, in.slice().limit(headerLength));
        } catch (RuntimeException e) {
            throw new SegmentFormatException(where + ": corrupt segment header: " + e.getMessage(), e);
        }
        if (header.getFormatVersion() != version) {
            throw new SegmentFormatException(where + ": header format version " + header.getFormatVersion()
                    + " does not match frame version " + version);
        }
        return header;
    }

    /**
     * Checks a segment's storage integrity (header, body CRC32C) where it lies, from {@code frame}'s position to its
     * limit, without copying it (for example a record's value in a Kafka consumer's fetch buffer) and returns its
     * header. Needs no key; {@code frame} itself is not moved.
     *
     * @param where where the bytes came from (object key, topic/partition/offset), for errors
     * @throws SegmentFormatException naming {@code where} and what is wrong
     */
    public static SegmentHeader check(String where, ByteBuffer frame) {
        SegmentHeader header = readHeader(where, frame);
        ByteBuffer body = frame.slice();
        body.position(bodyOffset(frame));
        if (!Arrays.equals(crc32c(body).bytes(), header.getBodyCrc32c().bytes())) {
            throw new SegmentFormatException(where + ": segment " + header.getSegmentId()
                    + " body does not match its CRC32C (truncated or corrupted in storage)");
        }
        return header;
    }

    /**
     * Parses a segment and checks its storage integrity (body CRC32C). Needs no key; copies no body.
     *
     * @param where where the bytes came from (object key, topic/partition/offset), for errors
     * @throws SegmentFormatException naming {@code where} and what is wrong
     */
    public static Segment parse(String where, byte[] bytes) {
        SegmentHeader header = check(where, bytes == null ? null : ByteBuffer.wrap(bytes));
        return new Segment(header, bytes, bodyOffset(ByteBuffer.wrap(bytes)));
    }

    /** Where the body of the frame at {@code frame}'s position starts, relative to that position: after the header. */
    private static int bodyOffset(ByteBuffer frame) {
        return PREAMBLE + frame.getInt(frame.position() + MAGIC.length + 1);
    }

    /** CRC32C (big-endian) of a region. */
    public static Crc32c crc32c(byte[] bytes, int offset, int length) {
        return crc32c(ByteBuffer.wrap(bytes, offset, length));
    }

    /** CRC32C (big-endian) of the bytes from {@code bytes}' position to its limit; {@code bytes} itself is not moved. */
    private static Crc32c crc32c(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return new Crc32c(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** CRC32C (big-endian) of {@code bytes}. */
    public static Crc32c crc32c(byte[] bytes) {
        return crc32c(bytes, 0, bytes.length);
    }

    /** SHA-256 of the bytes from {@code bytes}' position to its limit; {@code bytes} itself is not moved. */
    public static byte[] sha256(ByteBuffer bytes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes.duplicate());
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** SHA-256 of {@code bytes}. */
    public static byte[] sha256(byte[] bytes) {
        return sha256(ByteBuffer.wrap(bytes));
    }
}
