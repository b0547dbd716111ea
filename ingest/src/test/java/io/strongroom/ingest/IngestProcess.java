package io.strongroom.ingest;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Ingest as its own JVM, for tests that kill it: {@code IngestProcess <bootstrap> <state dir>}. */
public final class IngestProcess {
    private IngestProcess() {}

    public static void main(String[] args) throws Exception {
        IngestService service = IngestService.start(new IngestConfig("crash-it", null, null, null, null, null, null, null, null, null, null),
                // exactly-once's default commit interval rather than ingest's second: small transactions, so that a
                // kill after the first ones are visible lands mid-stream (kafka.properties overrides it the same way)
                Map.of("bootstrap.servers", args[0], "commit.interval.ms", 100), Path.of(args[1]));
        System.out.println("ingest running");
        System.out.flush();
        new CountDownLatch(1).await();
        service.close();
    }
}
