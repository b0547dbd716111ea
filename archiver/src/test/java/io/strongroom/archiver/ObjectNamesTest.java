package io.strongroom.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.SegmentHeader;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ObjectNamesTest {
    @ParameterizedTest
    @CsvSource({"0,0", "0,99", "12345,67890", "9223372036854775806,9223372036854775807", "-1,5"})
    void segmentKeysKeepTheirLayout(long first, long last) {
        SegmentHeader h = SegmentHeader.newBuilder().setSegmentId("seg-1").setFormatVersion(1).setEnvironment("prod")
                .setTenant("acme").setStream("strongroom.changes").setSourceTopic("strongroom.changes").setSourcePartition(7)
                .setFirstOffset(first).setLastOffset(last).setRecordCount(1).setMinEventTimeMs(1).setMaxEventTimeMs(2)
                .setSealedAtMs(1_767_225_600_000L).setKeyId("local://acme").setKeyVersion("v1")
                .setWrappedDek(ByteBuffer.wrap(new byte[] {1})).setDekAlgorithm("AES256_GCM")
                .setCompression(io.strongroom.avro.Compression.NONE).setPlaintextBytes(0)
                .setBodyCrc32c(new io.strongroom.avro.Crc32c(new byte[4])).build();

        String key = ObjectNames.of(h);

        assertThat(key).isEqualTo(String.format("prod/acme/strongroom.changes/2026/01/01/p7/%020d-%020d-seg-1.srseg", first, last));
        assertThat(key).startsWith(ObjectNames.tenantPrefix("prod", "acme"));
    }
}
