package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.Checkpoint;
import io.strongroom.restore.KafkaSink;
import io.strongroom.restore.RestoreJob;
import io.strongroom.testkit.Dirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A restore with a checkpoint, interrupted halfway, resumes where it stopped when run again: the result equals an
 * uninterrupted restore, with nothing missing and nothing twice — to JSONL, and to Kafka even when the process stopped
 * between a committed transaction and the checkpoint file.
 */
class ResumableRestoreIT {
    /** Stands for a process killed in the middle of a restore. */
    static final class Interrupted extends RuntimeException {
        Interrupted(int at) {
            super("interrupted after segment " + at);
        }
    }

    private static RestoreJob.Result runUntil(StrongroomConfig c, Checkpoint checkpoint, Path output, KafkaSink sink,
            int stopAfter, Runnable atSegment3) {
        try (Kms kms = KmsFactory.create(c, "restore"); S3Client s3 = c.s3().client()) {
            return RestoreJob.run(new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout()),
                    new RestoreJob.Options(c.environment(), "acme", null, output, 2), sink, checkpoint, (done, total, events) -> {
                        if (done == 3 && atSegment3 != null) {
                            atSegment3.run();
                        }
                        if (done == stopAfter) {
                            throw new Interrupted(done);
                        }
                    });
        }
    }

    @Test
    void anInterruptedRestoreResumesWhereItStoppedWithNothingMissingAndNothingTwice() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-resume-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S", 100)) {
            assertThat(Demo.run(sandbox, new Demo.Options(1500, 1, 31, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            StrongroomConfig c = sandbox.config();
            String cfg = sandbox.configFile().toString();
            Path all = dir.resolve("all.jsonl");
            PipelineIT.Run full = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + all);
            assertThat(full.code()).as(full.err()).isZero();
            List<String> expected = Files.readAllLines(all);
            assertThat(expected).hasSize(1500);
            int segments = Integer.parseInt(full.out().replaceAll("(?s).* from ([0-9,]+) segments.*", "$1").replace(",", ""));
            assertThat(segments).as("enough segments to stop halfway").isGreaterThanOrEqualTo(6);

            // JSONL: stop after 5 segments (checkpoints every 2), then resume from the command line
            Path out = dir.resolve("resumed.jsonl");
            Path file = dir.resolve("jsonl.checkpoint");
            String jsonlPrint = Checkpoint.fingerprint(c.environment(), "acme", null, null, null, List.of(), "jsonl:" + out);
            assertThatThrownBy(() -> runUntil(c, Checkpoint.open(file, jsonlPrint).every(2), out, null, 5, null))
                    .hasMessageContaining("interrupted after segment 5").hasMessageContaining("resume from checkpoint " + file);
            Checkpoint.State st = Checkpoint.open(file, jsonlPrint).state();
            assertThat(st.done()).isEqualTo(4);
            assertThat(out).doesNotExist();
            Path partial = dir.resolve(".resumed.jsonl." + st.restoreId() + ".partial");
            assertThat(Files.size(partial)).as("more than the checkpoint: cut on resume").isGreaterThan(st.outputBytes());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(partial)))
                    .as("the partial file of restored plaintext is the owner's alone").isEqualTo("rw-------");

            PipelineIT.Run otherRestore = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--table", "orders",
                    "--to-target", "jsonl:" + out, "--checkpoint", file.toString());
            assertThat(otherRestore.code()).isNotZero();
            assertThat(otherRestore.err()).contains("checkpoint " + file + " is of another restore");

            PipelineIT.Run resumed = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + out,
                    "--checkpoint", file.toString(), "--checkpoint-every", "2");
            assertThat(resumed.code()).as(resumed.err()).isZero();
            assertThat(resumed.err()).contains("resuming restore " + st.restoreId()).contains("4 of " + segments + " segments done");
            assertThat(resumed.out()).contains("restored 1,500 events from " + segments + " segments");
            assertThat(Files.readAllLines(out)).isEqualTo(expected);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
                    .as("moved into place from the partial file, with its mode").isEqualTo("rw-------");
            assertThat(file).doesNotExist();
            assertThat(dir.resolve("jsonl.checkpoint.plan")).doesNotExist();
            assertThat(partial).doesNotExist();

            // Kafka: stop after 5 segments, and put back the checkpoint file of segment 2, as if the process had died
            // after committing the transaction of segments 3-4 but before writing the checkpoint
            sandbox.kafka().createTopics(2, "restored.acme");
            Map<String, Object> kafka = c.kafka().clientProperties();
            Path kfile = dir.resolve("kafka.checkpoint");
            Path stale = dir.resolve("stale.checkpoint");
            String kafkaPrint = Checkpoint.fingerprint(c.environment(), "acme", null, null, null, List.of(),
                    "kafka:restored.acme --provenance-headers");
            Checkpoint first = Checkpoint.open(kfile, kafkaPrint).every(2);
            try (KafkaSink sink = new KafkaSink(kafka, "restored.acme", first.restoreId(), new KafkaSink.Options(false, true, null))) {
                assertThatThrownBy(() -> runUntil(c, first, null, sink, 5, () -> copy(kfile, stale)))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("interrupted after segment 5");
            }
            assertThat(Checkpoint.open(kfile, kafkaPrint).state().done()).isEqualTo(4);
            copy(stale, kfile);
            assertThat(Checkpoint.open(kfile, kafkaPrint).state().done()).isEqualTo(2);

            PipelineIT.Run kafkaResumed = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target",
                    "kafka:restored.acme", "--provenance-headers", "--checkpoint", kfile.toString());
            assertThat(kafkaResumed.code()).as(kafkaResumed.err()).isZero();
            assertThat(kfile).doesNotExist();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> positions(kafka, "restored.acme").size() >= 1500);
            List<String> restored = positions(kafka, "restored.acme");
            assertThat(restored).as("every event once").hasSize(1500).doesNotHaveDuplicates();
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The source position of every record a read_committed consumer sees. */
    private static List<String> positions(Map<String, Object> kafka, String topic) {
        return RestoreTargetsIT.readAll(kafka, topic).stream().map(r ->
                new String(r.headers().lastHeader(KafkaSink.SOURCE_TOPIC).value(), StandardCharsets.UTF_8) + "/"
                        + new String(r.headers().lastHeader(KafkaSink.SOURCE_PARTITION).value(), StandardCharsets.UTF_8) + "/"
                        + new String(r.headers().lastHeader(KafkaSink.SOURCE_OFFSET).value(), StandardCharsets.UTF_8)).toList();
    }
}
