package io.strongroom.cli;

import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.DemoLogging;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strongroom demo}: the whole product on embedded Kafka, S3 and a local KMS. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start embedded Kafka + S3 + a local KMS, back up generated CDC events for several tenants, "
                + "restore them from S3 alone and compare. Exit 1 if the restore does not match.")
final class DemoCommand implements Callable<Integer> {
    /**
     * How long a demo segment stays open. Ingest commits once a second, so a burst of events reaches the encryptor in
     * one-second steps; 5 s keeps each tenant's events of a partition in one segment (or full ones), so that the same
     * seed gives the same segments. With 2 s the count varied from 12 to 20 for the same seed.
     */
    static final String SEGMENT_MAX_AGE = "PT5S";

    @Option(names = "--events", defaultValue = "10000", description = "CDC events to generate (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--tenants", defaultValue = "4", description = "Tenants, 1-10 (default: ${DEFAULT-VALUE}).")
    int tenants;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep Kafka, S3 and KMS data here (default: a temporary directory, deleted at exit).")
    Path dataDir;

    @Option(names = "--keep-running", description = "Leave Kafka and S3 up after the run, print how to reach them, wait for Ctrl-C.")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        Demo.Options options = new Demo.Options(events, tenants, seed, Duration.ofMinutes(10));
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("strongroom-demo-") : dataDir.toAbsolutePath();
        // the broker's, S3's and the clients' logs go to a file; a temporary data directory is deleted at exit, its log is kept
        Path logFile = DemoLogging.toFile(temporary ? Files.createTempFile("strongroom-demo-", ".log")
                : Files.createDirectories(dir.resolve("logs")).resolve("demo.log"));
        System.out.println("starting embedded Kafka, S3 and a local KMS in " + dir);
        Sandbox sandbox = Sandbox.start(dir, SEGMENT_MAX_AGE);
        AtomicBoolean cleaned = new AtomicBoolean();
        AutoCloseable cleanup = () -> {
            if (cleaned.compareAndSet(false, true)) {
                sandbox.close();
                if (temporary) {
                    Dirs.deleteRecursively(dir);
                }
            }
        };
        // Ctrl-C at any point stops Kafka and S3 cleanly and removes a temporary directory
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cleanup.close();
            } catch (Exception e) {
                System.err.println("strongroom demo: error while stopping: " + e.getMessage());
            }
        }, "strongroom-demo-cleanup"));
        try {
            Demo.Result result = Demo.run(sandbox, options, System.out);
            Demo.printSummary(result, System.out);
            System.out.println("  log                " + logFile + " (the embedded broker's, S3's and the clients' warnings)");
            if (keepRunning) {
                printConnectionDetails(sandbox);
                new CountDownLatch(1).await(); // until Ctrl-C / SIGTERM: the hook above cleans up
            }
            return result.ok() ? 0 : 1;
        } finally {
            cleanup.close();
        }
    }

    private static void printConnectionDetails(Sandbox s) {
        System.out.println();
        System.out.println("Kafka and S3 stay up until Ctrl-C:");
        System.out.println("  kafka bootstrap    " + s.kafka().bootstrapServers());
        System.out.println("  s3 endpoint        " + s.s3().endpoint() + "  (path-style, region " + EmbeddedS3.REGION + ")");
        System.out.println("  s3 bucket          " + Sandbox.BUCKET);
        System.out.println("  s3 credentials     AWS_ACCESS_KEY_ID=" + EmbeddedS3.ACCESS_KEY + " AWS_SECRET_ACCESS_KEY="
                + EmbeddedS3.SECRET_KEY);
        System.out.println("  config file        " + s.configFile());
        System.out.println("Try:");
        System.out.println("  ./strongroom verify --config " + s.configFile());
        System.out.println("  kcat -b " + s.kafka().bootstrapServers() + " -L");
        System.out.println("  AWS_ACCESS_KEY_ID=" + EmbeddedS3.ACCESS_KEY + " AWS_SECRET_ACCESS_KEY=" + EmbeddedS3.SECRET_KEY
                + " aws --endpoint-url " + s.s3().endpoint() + " --region " + EmbeddedS3.REGION + " s3 ls s3://"
                + Sandbox.BUCKET + " --recursive");
        System.out.flush();
    }

}
