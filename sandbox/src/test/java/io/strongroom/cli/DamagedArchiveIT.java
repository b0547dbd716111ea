package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.Segment;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** A flipped byte, a truncated object and an object swapped with another tenant's: each named, everything else restored. */
class DamagedArchiveIT {

    @Test
    void eachDamagedObjectIsReportedByNameAndWhatFailedWhileEveryOtherSegmentIsRestored() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-damaged-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(14_000, 2, 29, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            Path before = dir.resolve("before.jsonl");
            assertThat(PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + before).code()).isZero();
            long total = Files.readAllLines(before).size();

            String flipped;
            String truncated;
            String swapped;
            long damagedEvents = 0;
            try (S3Client s3 = sandbox.config().s3().client()) {
                List<String> acme = s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents().stream()
                        .map(S3Object::key).filter(k -> k.endsWith(".srseg")).sorted().toList();
                String globex = s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/globex/")).contents().stream()
                        .map(S3Object::key).filter(k -> k.endsWith(".srseg")).findFirst().orElseThrow();
                assertThat(acme).hasSizeGreaterThanOrEqualTo(4);
                flipped = acme.get(0);
                truncated = acme.get(1);
                swapped = acme.get(2);
                for (String k : List.of(flipped, truncated, swapped)) {
                    damagedEvents += Segment.parse(k, s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(k)).asByteArray())
                            .header().getRecordCount();
                }
                byte[] a = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(flipped)).asByteArray();
                a[a.length / 2] ^= 0x40;
                s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(flipped), RequestBody.fromBytes(a));
                byte[] t = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(truncated)).asByteArray();
                s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(truncated), RequestBody.fromBytes(Arrays.copyOf(t, t.length - 100)));
                byte[] other = s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(globex)).asByteArray();
                s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(swapped), RequestBody.fromBytes(other));
            }

            Path after = dir.resolve("after.jsonl");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + after);
            assertThat(restore.code()).isEqualTo(1);
            List<String> problems = restore.err().lines().filter(l -> l.startsWith("problem: ")).toList();
            assertThat(problems).anyMatch(p -> p.contains(flipped) && (p.contains("CRC32C") || p.contains("authenticate")));
            assertThat(problems).anyMatch(p -> p.contains(truncated) && (p.contains("truncated") || p.contains("size")));
            assertThat(problems).anyMatch(p -> p.contains(swapped) && p.contains("belongs at"));
            assertThat(Files.readAllLines(after)).as("everything else is restored").hasSize((int) (total - damagedEvents));
            new ObjectMapper().readTree(Files.readAllLines(after).get(0)); // well-formed output
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
