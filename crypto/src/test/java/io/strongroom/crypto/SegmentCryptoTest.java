package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.Compression;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.DekContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SegmentCryptoTest {
    private static final String CANARY = "CANARY-7f3a-segment";

    static SegmentHeader.Builder header(String segmentId) {
        return SegmentHeader.newBuilder()
                .setSegmentId(segmentId).setFormatVersion(Segment.FORMAT_VERSION).setEnvironment("test")
                .setTenant("acme").setStream("strongroom.changes").setSourceTopic("strongroom.changes")
                .setSourcePartition(3).setFirstOffset(100).setLastOffset(102).setRecordCount(3)
                .setMinEventTimeMs(1_000).setMaxEventTimeMs(2_000).setSealedAtMs(3_000)
                .setPredecessorSegmentId("seg-0").setKeyId("local://acme").setKeyVersion("1")
                .setWrappedDek(ByteBuffer.wrap(new byte[] {9})).setDekAlgorithm(DataKeys.ALGORITHM);
    }

    static final List<byte[]> RECORDS = List.of(
            ("{\"id\":1,\"note\":\"" + CANARY + "\"}").getBytes(StandardCharsets.UTF_8),
            new byte[0],
            "{\"id\":3}".repeat(100).getBytes(StandardCharsets.UTF_8));

    private final Aead dek = dek();

    static Aead dek() {
        try {
            return DataKeys.aead(DataKeys.generate());
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void roundTripReturnsTheRecordsInOrder() {
        Segment sealed = SegmentCrypto.seal(header("seg-1"), RECORDS, dek);
        Segment parsed = Segment.parse("mem", sealed.toBytes());

        List<byte[]> opened = SegmentCrypto.open("mem", parsed, dek);
        assertThat(opened).hasSize(3);
        for (int i = 0; i < RECORDS.size(); i++) {
            assertThat(opened.get(i)).isEqualTo(RECORDS.get(i));
        }
    }

    @Test
    void uncompressedSegmentsOfShrinkingSizeOnOneThreadRoundTrip() {
        List<byte[]> big = Collections.nCopies(500, "x".repeat(1000).getBytes(StandardCharsets.UTF_8));
        Segment first = SegmentCrypto.seal(header("seg-big").setRecordCount(500), big, dek, Compression.NONE);
        Segment second = SegmentCrypto.seal(header("seg-small"), RECORDS, dek, Compression.NONE);
        assertThat(SegmentCrypto.open("a", Segment.parse("a", first.toBytes()), dek)).hasSize(500);
        List<byte[]> small = SegmentCrypto.open("b", Segment.parse("b", second.toBytes()), dek);
        assertThat(small).hasSize(3);
        assertThat(small.get(2)).isEqualTo(RECORDS.get(2));
        assertThat(second.header().getPlaintextBytes()).isEqualTo(3 * 4 + RECORDS.stream().mapToInt(r -> r.length).sum());
    }

    @Test
    void storedBytesAreNotThePlaintext() {
        byte[] bytes = SegmentCrypto.seal(header("seg-1"), RECORDS, dek).toBytes();
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY).doesNotContain("\"id\"");
    }

    @Test
    void aSegmentIsCheckedWhereItLiesInsideALargerBuffer() {
        byte[] frame = SegmentCrypto.seal(header("seg-1"), RECORDS, dek).toBytes();
        byte[] fetched = new byte[frame.length + 200]; // as in a consumer's fetch buffer: other records around it
        Arrays.fill(fetched, (byte) 0x5a);
        System.arraycopy(frame, 0, fetched, 120, frame.length);
        ByteBuffer view = ByteBuffer.wrap(fetched, 120, frame.length).slice();
        ByteBuffer positioned = ByteBuffer.wrap(fetched, 120, frame.length);

        assertThat(Segment.check("view", view).getSegmentId()).isEqualTo("seg-1");
        assertThat(Segment.check("positioned", positioned).getSegmentId()).isEqualTo("seg-1");
        assertThat(positioned.position()).as("not moved").isEqualTo(120);
        assertThat(Segment.sha256(positioned)).isEqualTo(Segment.sha256(frame));
        assertThat(positioned.position()).as("not moved by the digest either").isEqualTo(120);

        fetched[120 + frame.length - 5] ^= 1;
        assertThatThrownBy(() -> Segment.check("fetch/0/42", positioned)).isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("fetch/0/42").hasMessageContaining("CRC32C");
        assertThatThrownBy(() -> Segment.check("fetch/0/43", ByteBuffer.wrap(fetched, 120, 10)))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void oneFlippedBodyByteFailsTheIntegrityCheck() {
        byte[] bytes = SegmentCrypto.seal(header("seg-1"), RECORDS, dek).toBytes();
        bytes[bytes.length - 5] ^= 1;
        assertThatThrownBy(() -> Segment.parse("s3://b/k", bytes))
                .isInstanceOf(SegmentFormatException.class)
                .hasMessageContaining("s3://b/k").hasMessageContaining("CRC32C");
    }

    @Test
    void bodyWithRecomputedChecksumStillFailsAuthentication() {
        Segment sealed = SegmentCrypto.seal(header("seg-1"), RECORDS, dek);
        byte[] body = sealed.body();
        body[20] ^= 1;
        SegmentHeader h = SegmentHeader.newBuilder(sealed.header()).setBodyCrc32c(Segment.crc32c(body)).build();
        Segment forged = Segment.parse("x", new Segment(h, body).toBytes());
        assertThatThrownBy(() -> SegmentCrypto.open("x", forged, dek))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("failed authentication");
    }

    @Test
    void everyBoundHeaderFieldIsCoveredByTheAead() {
        Segment sealed = SegmentCrypto.seal(header("seg-1"), RECORDS, dek);
        List<Consumer<SegmentHeader>> tampering = List.of(
                h -> h.setEnvironment("prod"), h -> h.setTenant("other"), h -> h.setStream("x"),
                h -> h.setSourceTopic("y"), h -> h.setSourcePartition(4), h -> h.setFirstOffset(99),
                h -> h.setLastOffset(101), h -> h.setRecordCount(2), h -> h.setMinEventTimeMs(0),
                h -> h.setMaxEventTimeMs(9), h -> h.setSealedAtMs(1), h -> h.setSegmentId("seg-2"),
                h -> h.setPredecessorSegmentId(null), h -> h.setPlaintextBytes(h.getPlaintextBytes() + 1));
        for (Consumer<SegmentHeader> tamper : tampering) {
            SegmentHeader moved = SegmentHeader.newBuilder(sealed.header()).build();
            tamper.accept(moved);
            assertThatThrownBy(() -> SegmentCrypto.open("x", new Segment(moved, sealed.body()), dek))
                    .as("tampered header %s", moved)
                    .isInstanceOf(SegmentFormatException.class).hasMessageContaining("failed authentication");
        }
    }

    @Test
    void keyIdVersionAndWrappedDekAreOutsideTheAadSoRewrapCanReplaceThem() {
        Segment sealed = SegmentCrypto.seal(header("seg-1"), RECORDS, dek);
        SegmentHeader rewrapped = SegmentHeader.newBuilder(sealed.header()).setKeyVersion("2")
                .setKeyId("local://acme-v2").setWrappedDek(ByteBuffer.wrap(new byte[] {1, 2, 3})).build();
        assertThat(SegmentCrypto.open("x", new Segment(rewrapped, sealed.body()), dek)).hasSize(3);
    }

    @Test
    void wrongDataKeyFails() {
        Segment sealed = SegmentCrypto.seal(header("seg-1"), RECORDS, dek);
        assertThatThrownBy(() -> SegmentCrypto.open("x", sealed, dek()))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("seg-1");
    }

    @Test
    void truncatedSegmentIsRejectedClearly() {
        byte[] bytes = SegmentCrypto.seal(header("seg-1"), RECORDS, dek).toBytes();
        assertThatThrownBy(() -> Segment.parse("obj", Arrays.copyOf(bytes, 12)))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("obj").hasMessageContaining("truncated");
        assertThatThrownBy(() -> Segment.parse("obj", "hello world".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("bad magic");
    }

    @Test
    void contextsDifferForDifferentFields() {
        assertThat(new DekContext("e", "t", "s").bytes())
                .isNotEqualTo(new DekContext("e", "ts", "").bytes());
    }
}
