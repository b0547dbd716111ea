package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.Compression;
import io.strongroom.avro.Crc32c;
import io.strongroom.avro.SegmentHeader;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchiveLayoutTest {
    @ParameterizedTest
    @CsvSource({"0,0", "0,99", "12345,67890", "9223372036854775806,9223372036854775807", "-1,5"})
    void segmentKeysKeepTheirLayout(long first, long last) {
        SegmentHeader h = SegmentHeader.newBuilder().setSegmentId("seg-1").setFormatVersion(1).setEnvironment("prod")
                .setTenant("acme").setStream("strongroom.changes").setSourceTopic("strongroom.changes").setSourcePartition(7)
                .setFirstOffset(first).setLastOffset(last).setRecordCount(1).setMinEventTimeMs(1).setMaxEventTimeMs(2)
                .setSealedAtMs(1_767_225_600_000L).setKeyId("local://acme").setKeyVersion("v1")
                .setWrappedDek(ByteBuffer.wrap(new byte[] {1})).setDekAlgorithm("AES256_GCM")
                .setCompression(Compression.NONE).setPlaintextBytes(0)
                .setBodyCrc32c(new Crc32c(new byte[4])).build();

        String key = ArchiveLayout.segmentKey(h);

        assertThat(key).isEqualTo(String.format("prod/acme/strongroom.changes/2026/01/01/p7/%020d-%020d-seg-1.srseg", first, last));
        assertThat(key).startsWith(ArchiveLayout.tenantPrefix("prod", "acme"));
    }

    @ParameterizedTest
    @CsvSource({"0,99", "9223372036854775806,9223372036854775807"})
    void aSegmentKeyParsesBackToWhatItNames(long first, long last) {
        SegmentHeader h = SegmentHeader.newBuilder().setSegmentId("0f1e-seg").setFormatVersion(1).setEnvironment("prod")
                .setTenant("acme").setStream("cdc.public.orders").setSourceTopic("cdc.public.orders").setSourcePartition(12)
                .setFirstOffset(first).setLastOffset(last).setRecordCount(1).setMinEventTimeMs(1).setMaxEventTimeMs(2)
                .setSealedAtMs(1_767_225_600_000L).setKeyId("local://acme").setKeyVersion("v1")
                .setWrappedDek(ByteBuffer.wrap(new byte[] {1})).setDekAlgorithm("AES256_GCM")
                .setCompression(Compression.NONE).setPlaintextBytes(0)
                .setBodyCrc32c(new Crc32c(new byte[4])).build();

        ArchiveLayout.Name name = ArchiveLayout.parse(ArchiveLayout.segmentKey(h));

        assertThat(name).isEqualTo(new ArchiveLayout.Name(ArchiveLayout.Kind.SEGMENT, "prod", "acme", "0f1e-seg",
                "cdc.public.orders", 12, first, last, "2026/01/01"));
    }

    @Test
    void everyReservedNameParsesToItsKind() {
        assertThat(ArchiveLayout.parse(ArchiveLayout.manifestKey("prod", "acme", "2026/01/02", 3, 0, 9)))
                .isEqualTo(new ArchiveLayout.Name(ArchiveLayout.Kind.MANIFEST_PART, "prod", "acme", null, null, -1, -1, -1,
                        "2026/01/02"));
        assertThat(ArchiveLayout.parse(ArchiveLayout.rewrapKey("prod", "acme", "2026/01/02", "seg", 5)).kind())
                .isEqualTo(ArchiveLayout.Kind.REWRAP_PART);
        assertThat(ArchiveLayout.parse(ArchiveLayout.prunedKey("prod", "acme", 5, "id")).kind())
                .isEqualTo(ArchiveLayout.Kind.PRUNE_MARKER);
        assertThat(ArchiveLayout.parse(ArchiveLayout.holdKey("prod", "acme", "id")).kind())
                .isEqualTo(ArchiveLayout.Kind.LEGAL_HOLD);
        assertThat(ArchiveLayout.parse(ArchiveLayout.quarantineKey("prod", "strongroom.segments", 1, 7)))
                .extracting(ArchiveLayout.Name::kind, ArchiveLayout.Name::tenant).containsExactly(ArchiveLayout.Kind.QUARANTINED, null);
        assertThat(ArchiveLayout.parse(ArchiveLayout.auditCheckpointKey("prod", 5)).kind()).isEqualTo(ArchiveLayout.Kind.AUDIT);
        assertThat(ArchiveLayout.parse(ArchiveLayout.auditSigningKey("prod")).kind()).isEqualTo(ArchiveLayout.Kind.AUDIT);
        // named by sequence, after (and apart from) format 1's creation-time names
        assertThat(ArchiveLayout.auditCheckpointKey("prod", 5)).isEqualTo("prod/_audit/checkpoints/s00000000000000000005.json")
                .startsWith(ArchiveLayout.auditCheckpointsAfter("prod"))
                .isGreaterThan(ArchiveLayout.auditCheckpointsAfter("prod"))
                .isGreaterThan("prod/_audit/checkpoints/99999999999999999999.json");
        assertThat(ArchiveLayout.auditCheckpointSequence(ArchiveLayout.auditCheckpointKey("prod", 5))).isEqualTo(5);
        assertThat(ArchiveLayout.auditCheckpointSequence("prod/_audit/checkpoints/00000001700000000000.json")).isEqualTo(-1);
        assertThat(ArchiveLayout.auditCheckpointSequence("prod/_audit/checkpoints/s5.json")).isEqualTo(-1);
        assertThat(ArchiveLayout.auditCheckpointSequence("prod/_chain-heads/s00000000000000000005.json")).isEqualTo(-1);
        assertThat(ArchiveLayout.auditCheckpointSequence("prod/_audit/checkpoints/s99999999999999999999.json")).isEqualTo(-1);
    }

    @ParameterizedTest
    @CsvSource({"prod/acme/changes/2026/01/01/p0/x-y-z.srseg", "prod/acme/changes/2026/01/01/p0/0-9-id.json",
            "prod/_other/changes/2026/01/01/p0/00000000000000000000-00000000000000000009-id.srseg",
            "prod/acme/_manifests/2026/01/01/notes.json", "prod/acme/_manifests/2026/01/01/s0-1-2.json",
            "prod/acme/changes/2026/1/01/p0/00000000000000000000-00000000000000000009-id.srseg",
            "prod/acme/_pruned/sub/x.json", "prod/_quarantine/a/b.bin", "prod/acme", "''", "prod//x/y"})
    void whatTheLayoutDoesNotDefineIsOther(String key) {
        assertThat(ArchiveLayout.parse(key).kind()).isEqualTo(ArchiveLayout.Kind.OTHER);
    }
}
