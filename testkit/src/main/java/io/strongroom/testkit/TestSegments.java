package io.strongroom.testkit;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Real sealed segments for archive tests: environment {@code it}, tenant {@code acme}, one record, a fresh data key. */
public final class TestSegments {
    /** The seal time of every test segment (2026-01-01, UTC): object names fall on one day. */
    public static final long SEALED_AT_MS = 1_767_225_600_000L;

    private TestSegments() {}

    /** A segment of {@code strongroom.changes} partition {@code partition}, offsets {@code first..last}, holding {@code record}. */
    public static byte[] seal(Kms kms, int partition, long first, long last, String record) {
        String id = UUID.randomUUID().toString();
        DataKey dek = Kmses.await(kms.generateDek("local://acme", new DekContext("it", "acme", id)), Duration.ofSeconds(5));
        SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(Segment.FORMAT_VERSION)
                .setEnvironment("it").setTenant("acme").setStream("strongroom.changes").setSourceTopic("strongroom.changes")
                .setSourcePartition(partition).setFirstOffset(first).setLastOffset(last).setRecordCount(1)
                .setMinEventTimeMs(1).setMaxEventTimeMs(2).setSealedAtMs(SEALED_AT_MS)
                .setKeyId(dek.wrapped().keyId()).setKeyVersion(dek.wrapped().keyVersion())
                .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes())).setDekAlgorithm(dek.wrapped().algorithm());
        return SegmentCrypto.seal(h, List.of(record.getBytes(StandardCharsets.UTF_8)), dek.aead()).toBytes();
    }
}
