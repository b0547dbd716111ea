package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized fault and load run ({@code strongroom local soak}): 100,000 events over 10 tenants through every
 * service as its own process, one fault of each kind while they flow, then a full restore: nothing lost, nothing
 * duplicated, nothing altered or reordered.
 */
class SoakIT {
    @Test
    void oneFaultOfEachKindWhileEventsFlowLosesAndDuplicatesNothing() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-soak-it-");
        try {
            Soak.Report r = new Soak(dir, new Soak.Options(100_000, 10, Duration.ofSeconds(10), true), System.out).run();
            assertThat(r.timeline()).anyMatch(l -> l.contains("kill -9 ingest")).anyMatch(l -> l.contains("kill -9 encryptor"))
                    .anyMatch(l -> l.contains("kill -9 archiver")).anyMatch(l -> l.contains("kill -9 coordinator"))
                    .anyMatch(l -> l.contains("broker started again")).anyMatch(l -> l.contains("S3 back"))
                    .anyMatch(l -> l.contains("KMS back")).anyMatch(l -> l.contains("rotated the key"))
                    .anyMatch(l -> l.contains("rewrapped"));
            assertThat(r.produced()).isEqualTo(100_000);
            assertThat(r.lost()).as("lost").isZero();
            assertThat(r.duplicated()).as("duplicated").isZero();
            assertThat(r.comparison().matches()).as(r.comparison().examples().toString()).isTrue();
            assertThat(r.peakHeapBytes()).containsKeys("ingest", "encryptor", "archiver", "coordinator", "anomaly");
        } finally {
            for (String s : LocalCommand.SERVICES) {
                LocalCommand.stop(dir, s, Duration.ofSeconds(10));
            }
            LocalCommand.stop(dir, "s3", Duration.ofSeconds(10));
            LocalCommand.stop(dir, "kafka", Duration.ofSeconds(10));
            io.strongroom.testkit.Dirs.deleteRecursively(dir);
        }
    }
}
