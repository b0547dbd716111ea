package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RestoreOrderTest {
    private static String key(String tenant, String stream, String day, int partition, long first, long last) {
        return String.format("it/%s/%s/%s/p%d/%020d-%020d-id%d.srseg", tenant, stream, day, partition, first, last, first);
    }

    @Test
    void segmentsAreRestoredByTenantPartitionAndOffsetWhateverTheirStreamOrSealDay() {
        String a0 = key("acme", "strongroom.changes", "2026/01/01", 0, 0, 49);
        String q50 = key("acme", "strongroom-quarantine", "2026/01/02", 0, 50, 50);
        String a51 = key("acme", "strongroom.changes", "2026/01/02", 0, 51, 99);
        String a100 = key("acme", "strongroom.changes", "2026/01/01", 10, 100, 120);
        String a2 = key("acme", "strongroom.changes", "2026/01/01", 2, 7, 9);
        String g0 = key("globex", "strongroom-quarantine", "2026/01/01", 0, 3, 3);
        List<String> bucketOrder = List.of(q50, a0, a51, a100, a2, g0).stream().sorted().toList();
        assertThat(bucketOrder).as("the bucket lists the quarantine stream first").startsWith(q50);
        assertThat(RestoreJob.inOffsetOrder(bucketOrder)).containsExactly(a0, q50, a51, a2, a100, g0);
    }

    @Test
    void aKeyNotNamedLikeASegmentComesLastInKeyOrder() {
        String a0 = key("acme", "strongroom.changes", "2026/01/01", 0, 0, 49);
        assertThat(RestoreJob.inOffsetOrder(List.of("it/odd/x.srseg", a0, "it/b.srseg")))
                .containsExactly(a0, "it/b.srseg", "it/odd/x.srseg");
    }
}
