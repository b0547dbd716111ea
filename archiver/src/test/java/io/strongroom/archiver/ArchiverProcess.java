package io.strongroom.archiver;

import io.strongroom.archive.S3Settings;

import io.strongroom.testkit.EmbeddedS3;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The archiver as its own JVM, for tests that kill it: {@code ArchiverProcess <bootstrap> <s3 endpoint> <bucket> <group>}. */
public final class ArchiverProcess {
    private ArchiverProcess() {}

    public static void main(String[] args) throws Exception {
        S3Settings s3 = new S3Settings(args[1], EmbeddedS3.REGION, args[2], EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, null);
        ArchiverService service = ArchiverService.start(ArchiverConfig.of(args[3], null), s3, "it",
                Map.of("bootstrap.servers", args[0]));
        System.out.println("archiver running");
        System.out.flush();
        new CountDownLatch(1).await();
        service.close();
    }
}
