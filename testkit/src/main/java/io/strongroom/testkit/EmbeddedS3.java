package io.strongroom.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * A real S3-protocol server (S3Proxy 4.1.0) inside this JVM, storing objects in a directory and
 * requiring AWS V2/V4 signatures. Supports conditional PUT ({@code If-None-Match: *} answers 412).
 */
public final class EmbeddedS3 implements AutoCloseable {
    /** Access key of the embedded server. */
    public static final String ACCESS_KEY = "strongroom";
    /** Secret key of the embedded server (test and demo only). */
    public static final String SECRET_KEY = "strongroom-secret-key";
    /** Region the clients sign for. */
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final Path dir;
    private final boolean ownsDir;
    private final URI endpoint;

    private EmbeddedS3(S3Proxy proxy, Path dir, boolean ownsDir, URI endpoint) {
        this.proxy = proxy;
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.endpoint = endpoint;
    }

    /** Starts a server storing objects in a fresh temporary directory, deleted on close. */
    public static EmbeddedS3 start() {
        try {
            return start(Files.createTempDirectory("strongroom-s3-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a server storing objects under {@code dir}. */
    public static EmbeddedS3 start(Path dir, boolean deleteOnClose) {
        return start(dir, deleteOnClose, Ports.free());
    }

    /** Starts a server storing objects under {@code dir} on {@code port}: restarts a stopped server in place. */
    public static EmbeddedS3 start(Path dir, boolean deleteOnClose, int port) {
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        try {
            Files.createDirectories(dir);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString()))
                    .endpoint(endpoint)
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .build();
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(20); // jetty starting
            }
            return new EmbeddedS3(proxy, dir, deleteOnClose, endpoint);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start embedded S3 on " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /** The server's endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The directory holding the objects (one sub-directory per bucket). */
    public Path directory() {
        return dir;
    }

    /** A path-style client for this server; close it. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true)
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** Creates a bucket unless it exists. */
    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException ignored) {
            // already there
        }
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop embedded S3: " + e.getMessage(), e);
        }
        if (ownsDir) {
            Dirs.deleteRecursively(dir);
        }
    }
}
