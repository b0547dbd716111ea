package io.strongroom.bench;

import io.strongroom.cli.KmsFactory;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Restore throughput beside restic's, in one run on one machine, both reading from the same
 * S3Proxy: (A) Strongroom restores a tenant's archive (list, fetch, unwrap, authenticate, decrypt,
 * decompress, check chains) to JSONL; (B) restic (from Debian) restores a snapshot of that same
 * JSONL file from a repository in the same S3Proxy. Both are reported in MB/s of restored JSONL;
 * runs alternate, and the result is the median ratio A/B.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.RestoreVsResticHarness [events] [rounds]</pre>
 */
public final class RestoreVsResticHarness {
    private RestoreVsResticHarness() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("strongroom-restore-bench-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT2S")) {
            Demo.Result demo = Demo.run(sandbox, new Demo.Options(events, 1, 5, Duration.ofMinutes(10)), System.out);
            if (!demo.ok()) {
                throw new IllegalStateException("the demo pipeline did not archive everything");
            }
            var config = sandbox.config();
            String s3 = config.s3().endpoint();
            Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", EmbeddedS3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY",
                    EmbeddedS3.SECRET_KEY, "RESTIC_PASSWORD", "bench-only", "RESTIC_REPOSITORY", "s3:" + s3 + "/restic-bench");
            sandbox.s3().createBucket("restic-bench");
            Path jsonl = dir.resolve("acme.jsonl");
            restore(config, jsonl);
            long bytes = Files.size(jsonl);
            System.out.printf("data set: tenant acme, %,d events, %,d bytes of JSONL, %d segments archived%n", events, bytes,
                    demo.segments());
            run(env, dir, "restic", "init");
            run(env, dir, "restic", "backup", "--quiet", jsonl.toString());
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) { // round 0 warms up and is not counted
                Path out = dir.resolve("sr-" + r + ".jsonl");
                long t0 = System.nanoTime();
                restore(config, out);
                double strongroom = bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
                Path target = dir.resolve("restic-" + r);
                long t1 = System.nanoTime();
                run(env, dir, "restic", "restore", "latest", "--target", target.toString());
                double restic = bytes / 1e6 / ((System.nanoTime() - t1) / 1e9);
                if (r > 0) {
                    System.out.printf("round %d: strongroom %.1f MB/s, restic %.1f MB/s, ratio %.2f%n", r, strongroom, restic,
                            strongroom / restic);
                    ratios.add(strongroom / restic);
                }
                Files.deleteIfExists(out);
                Dirs.deleteRecursively(target);
            }
            Collections.sort(ratios);
            System.out.printf("median ratio strongroom/restic over %d rounds: %.2f%n", ratios.size(), ratios.get(ratios.size() / 2));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static void restore(StrongroomConfig config, Path out) {
        try (Kms kms = KmsFactory.create(config, "bench"); S3Client s3 = config.s3().client()) {
            RestoreJob.Result r = RestoreJob.run(new ArchiveReader(s3, config.s3().bucket(), kms, config.kms().timeout()),
                    new RestoreJob.Options(config.environment(), "acme", null, out, config.restore().parallelism()),
                    (done, total, events) -> { });
            if (!r.ok()) {
                throw new IllegalStateException("restore failed: " + r.problems());
            }
        }
    }

    private static void run(Map<String, String> env, Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }
}
