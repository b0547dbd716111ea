package io.strongroom.crypto;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.schemas.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

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
 * 10+n    rest  body: AEAD ciphertext (AES-256-GCM via Tink) of the compressed record batch
 * </pre>
 *
 * <p>The header is cleartext so that the archiver can name and check a segment without any key,
 * and so that the object alone plus the KMS suffices to decrypt it. Its {@code bodyCrc32c} lets
 * storage integrity be checked without keys; authenticity comes from the AEAD, whose associated
 * data is {@link SegmentCrypto#associatedData(SegmentHeader)}. The check is a CRC32C, not a
 * cryptographic hash: it catches corruption in storage or transit cheaply (a SHA-256 pass cost
 * more than the encryption itself); tampering is caught by the AEAD.
 *
 * @param header the cleartext header
 * @param body the ciphertext body
 */
public record Segment(SegmentHeader header, byte[] body) {
    /** Current format version. */
    public static final int FORMAT_VERSION = 1;

    static final byte[] MAGIC = "SRSEG".getBytes(StandardCharsets.US_ASCII);
    private static final int PREAMBLE = MAGIC.length + 1 + 4;
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final AvroSerde<SegmentHeader> HEADER_SERDE = AvroSerde.of(SegmentHeader.class);

    public Segment {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(body, "body");
    }

    /** Serializes the segment in the layout above. */
    public byte[] toBytes() {
        byte[] headerBytes = HEADER_SERDE.encode(header);
        return ByteBuffer.allocate(PREAMBLE + headerBytes.length + body.length)
                .put(MAGIC).put((byte) FORMAT_VERSION).putInt(headerBytes.length)
                .put(headerBytes).put(body).array();
    }

    /**
     * Parses a segment and checks its storage integrity (body CRC32C). Needs no key.
     *
     * @param where where the bytes came from (object key, topic/partition/offset), for errors
     * @throws SegmentFormatException naming {@code where} and what is wrong
     */
    public static Segment parse(String where, byte[] bytes) {
        if (bytes == null || bytes.length < PREAMBLE) {
            throw new SegmentFormatException(where + ": not a Strongroom segment (too short: "
                    + (bytes == null ? 0 : bytes.length) + " bytes)");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new SegmentFormatException(where + ": not a Strongroom segment (bad magic)");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, MAGIC.length, bytes.length - MAGIC.length);
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
            header = HEADER_SERDE.decode(where, Arrays.copyOfRange(bytes, PREAMBLE, PREAMBLE + headerLength));
        } catch (RuntimeException e) {
            throw new SegmentFormatException(where + ": corrupt segment header: " + e.getMessage(), e);
        }
        if (header.getFormatVersion() != version) {
            throw new SegmentFormatException(where + ": header format version " + header.getFormatVersion()
                    + " does not match frame version " + version);
        }
        byte[] body = Arrays.copyOfRange(bytes, PREAMBLE + headerLength, bytes.length);
        if (crc32c(body) != header.getBodyCrc32c()) {
            throw new SegmentFormatException(where + ": segment " + header.getSegmentId()
                    + " body does not match its CRC32C (truncated or corrupted in storage)");
        }
        return new Segment(header, body);
    }

    /** CRC32C of {@code bytes}. */
    public static long crc32c(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** SHA-256 of {@code bytes}. */
    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
