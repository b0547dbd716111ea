package io.strongroom.encryptor;

import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The encryptor as its own JVM, for tests that kill it:
 * {@code EncryptorProcess <bootstrap> <state dir> <kms dir> <application id>}.
 */
public final class EncryptorProcess {
    private EncryptorProcess() {}

    public static void main(String[] args) throws Exception {
        EncryptorConfig config = new EncryptorConfig(args[3], 200, null, Duration.ofSeconds(2), Duration.ofSeconds(10));
        // a short session so the group notices a killed member quickly
        EncryptorService service = EncryptorService.start(config, "test", TestKms.local(Path.of(args[2]), true),
                Map.of("bootstrap.servers", args[0], "consumer.session.timeout.ms", 10_000,
                        "consumer.heartbeat.interval.ms", 1_000),
                Path.of(args[1]));
        System.out.println("encryptor running");
        System.out.flush();
        new CountDownLatch(1).await();
        service.close();
    }
}
