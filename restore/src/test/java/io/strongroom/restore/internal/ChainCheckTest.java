package io.strongroom.restore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.Compression;
import io.strongroom.avro.Crc32c;
import io.strongroom.avro.SegmentHeader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainCheckTest {
    static SegmentHeader h(String id, String predecessor, int partition, long first, long last) {
        return SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(1).setEnvironment("e").setTenant("acme")
                .setStream("s").setSourceTopic("strongroom.changes").setSourcePartition(partition).setFirstOffset(first)
                .setLastOffset(last).setRecordCount((int) (last - first + 1)).setMinEventTimeMs(0).setMaxEventTimeMs(0)
                .setSealedAtMs(0).setPredecessorSegmentId(predecessor).setKeyId("local://acme").setKeyVersion("1")
                .setWrappedDek(ByteBuffer.allocate(1)).setDekAlgorithm("AES256_GCM").setCompression(Compression.ZSTD)
                .setPlaintextBytes(1).setBodyCrc32c(new Crc32c(new byte[4])).build();
    }

    private final List<SegmentHeader> chain = List.of(h("a", null, 0, 0, 9), h("b", "a", 0, 10, 19), h("c", "b", 0, 20, 29),
            h("x", null, 1, 0, 4));

    @Test
    void intactChainsInAnyOrderHaveNoProblems() {
        List<SegmentHeader> shuffled = new ArrayList<>(chain);
        Collections.reverse(shuffled);
        assertThat(ChainCheck.problems(shuffled)).isEmpty();
    }

    @Test
    void deletedSegmentIsReportedNamingBothNeighbours() {
        assertThat(ChainCheck.problems(List.of(chain.get(0), chain.get(2), chain.get(3))))
                .singleElement().asString()
                .contains("acme strongroom.changes/0").contains("segment c").contains("follows b").contains("archive has a")
                .contains("a segment is missing");
    }

    @Test
    void deletedFirstSegmentIsReported() {
        assertThat(ChainCheck.problems(List.of(chain.get(1), chain.get(2)))).singleElement().asString()
                .contains("segment b").contains("nothing before it");
    }

    @Test
    void overlappingOrDuplicatedSegmentsAreReported() {
        assertThat(ChainCheck.problems(List.of(chain.get(0), h("b2", "a", 0, 5, 15)))).singleElement().asString()
                .contains("overlap");
        assertThat(ChainCheck.problems(List.of(chain.get(0), chain.get(1), chain.get(1)))).isNotEmpty();
    }
}
