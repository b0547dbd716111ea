package io.strongroom.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's summary says why its segments are as many as they are. */
class DemoSummaryTest {
    @Test
    void oneAgedSegmentPerTenantAndPartitionNeedsNoExcuse() {
        String why = Demo.sealedBecause(result(Map.of("max-age", 12L, "max-records", 3L)));
        assertThat(why).contains("3 full (2,000 records)").contains("12 at their max age (5s)").doesNotContain("more aged");
    }

    @Test
    void moreAgedSegmentsThanTenantPartitionsAreExplained() {
        String why = Demo.sealedBecause(result(Map.of("max-age", 18L, "key-version", 2L)));
        assertThat(why).contains("18 at their max age").contains("2 by key-version")
                .contains("6 more aged than the 12 tenant-partitions: their events took over 5s to reach the encryptor");
    }

    private static Demo.Result result(Map<String, Long> reasons) {
        RestoreComparison match = new RestoreComparison(10, 10, 0, 0, 0, 0, 0, List.of());
        return new Demo.Result(10, 4, 12, 1000, List.of(), match, List.of(), List.of(), Path.of("x.jsonl"), Duration.ofSeconds(1),
                reasons, 2000, Duration.ofSeconds(5), 3);
    }
}
