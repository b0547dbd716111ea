package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI-sized fault and load run ({@code strongroom local soak}): 100,000 events over 10 tenants through every
 * service as its own process, one fault of each kind while they flow, then a full restore compared with what the
 * CDC topics hold: nothing lost, nothing duplicated, nothing altered or reordered. And the run's own guarantee: a
 * load generator that dies fails the run within minutes, naming it, instead of leaving it waiting.
 */
class SoakIT {
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // well below CI's limit: the run takes about 3 minutes
    void oneFaultOfEachKindWhileEventsFlowLosesDuplicatesAndAltersNothing() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-soak-it-");
        boolean passed = false;
        try {
            Soak.Report r = new Soak(dir, new Soak.Options(100_000, 10, Duration.ofSeconds(10), true), System.out).run();
            assertThat(r.timeline()).anyMatch(l -> l.contains("kill -9 ingest")).anyMatch(l -> l.contains("kill -9 encryptor"))
                    .anyMatch(l -> l.contains("kill -9 archiver")).anyMatch(l -> l.contains("kill -9 coordinator"))
                    .anyMatch(l -> l.contains("broker stopped cleanly")).anyMatch(l -> l.contains("broker started again after a clean stop"))
                    .anyMatch(l -> l.contains("kill -9 broker")).anyMatch(l -> l.contains("broker started again after kill -9"))
                    .anyMatch(l -> l.contains("S3 back")).anyMatch(l -> l.contains("KMS back"))
                    .anyMatch(l -> l.contains("rotated the key")).anyMatch(l -> l.contains("rewrapped"));
            assertThat(r.generated()).isEqualTo(100_000);
            assertThat(r.neverInTopics()).as("generated events in no CDC topic").isZero();
            // each slice is one transaction: a copy only of an event re-sent after a commit whose outcome was unknown
            assertThat(r.inTopics()).as("committed records in the CDC topics").isBetween(r.generated(), r.generated() + r.unsure());
            assertThat(r.comparison().restored()).as("restored").isEqualTo(r.inTopics());
            assertThat(r.lost()).as("lost").isZero();
            assertThat(r.duplicated()).as("duplicated").isZero();
            assertThat(r.altered()).as("altered").isZero();
            assertThat(r.comparison().matches()).as(r.comparison().examples().toString()).isTrue();
            assertThat(r.peakHeapBytes()).containsKeys("ingest", "encryptor", "archiver", "coordinator", "anomaly");
            assertThat(LocalCommand.process(dir, "kafka")).as("the run stops what it started").isEmpty();
            passed = true;
        } finally {
            stopEverything(dir, passed);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aLoadGeneratorWhoseThreadDiesFailsTheRunWithinMinutesNamingIt() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-soak-dead-producer-");
        try {
            Soak soak = new Soak(dir, new Soak.Options(200_000, 4, Duration.ofSeconds(10), true, 1), System.out);
            CompletableFuture<Soak.Report> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return soak.run();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            LoadGenerator load = Awaitility.await("the load generator acknowledging its first events").atMost(Duration.ofMinutes(4))
                    .until(soak::loadGenerator, l -> l != null && l.acknowledged() > 2_000);
            load.thread().interrupt(); // the producing thread dies, as it did after a broker restart
            long killed = System.nanoTime();
            ExecutionException failed = catchThrowableOfType(ExecutionException.class, () -> run.get(5, TimeUnit.MINUTES));
            Duration took = Duration.ofNanos(System.nanoTime() - killed);
            assertThat(failed).as("the run fails").isNotNull();
            Throwable cause = failed.getCause() instanceof CompletionException c ? c.getCause() : failed.getCause();
            System.out.println("the run failed " + took.toSeconds() + " s after the producer's thread died: " + cause.getMessage());
            assertThat(cause).hasMessageContaining("the load generator's producer (thread soak-producer) stopped after")
                    .hasMessageContaining("InterruptedException");
            assertThat(took).isLessThan(Duration.ofMinutes(5));
            assertThat(LocalCommand.process(dir, "encryptor")).as("a failed run stops what it started").isEmpty();
            assertThat(LocalCommand.process(dir, "kafka")).isEmpty();
        } finally {
            stopEverything(dir, true);
        }
    }

    /** Stops what the run left; removes its directory, but for a failed run's, whose logs are the evidence. */
    private static void stopEverything(Path dir, boolean delete) {
        for (String s : LocalCommand.SERVICES) {
            LocalCommand.stop(dir, s, Duration.ofSeconds(10));
        }
        LocalCommand.stop(dir, "s3", Duration.ofSeconds(10));
        LocalCommand.stop(dir, "kafka", Duration.ofSeconds(10));
        if (delete) {
            Dirs.deleteRecursively(dir);
        } else {
            System.out.println("the failed run's directory is kept for its logs: " + dir.resolve("logs"));
        }
    }
}
