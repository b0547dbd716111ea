package io.strongroom.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

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

    private TestTls tls;

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
        return start(dir, deleteOnClose, port, null);
    }

    /**
     * Faults to inject into writes: the next PUTs fail with an HTTP status, as S3 does when it throttles
     * ({@code 503 SlowDown}) or breaks ({@code 500}).
     */
    public static final class Faults {
        private final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
        private final AtomicInteger injected = new AtomicInteger();

        /** The next {@code n} PUTs answer {@code status}. */
        public void failNextPuts(int n, int status) {
            for (int i = 0; i < n; i++) {
                statuses.add(status);
            }
        }

        /** Faults injected so far. */
        public int injected() {
            return injected.get();
        }

        Integer next() {
            Integer status = statuses.poll();
            if (status != null) {
                injected.incrementAndGet();
            }
            return status;
        }
    }

    /** Starts a server whose writes fail as {@code faults} says. */
    public static EmbeddedS3 start(Path dir, boolean deleteOnClose, Faults faults) {
        return start(dir, deleteOnClose, Ports.free(), faults);
    }

    private static BlobStore withFaults(BlobStore store, Faults faults) {
        // S3Proxy's own forwarding store: it looks through it to the filesystem store's capabilities (conditional PUT)
        return new ForwardingBlobStore(store) {
            @Override
            public PutObjectResponse putBlob(
                    PutObjectRequest request, InputStream in) {
                Integer status = faults.next();
                if (status != null) {
                    throw S3Exceptions.fromStatusCode(status);
                }
                return super.putBlob(request, in);
            }
        };
    }

    /** Starts a server that speaks only HTTPS, with {@code tls}'s certificate. */
    public static EmbeddedS3 startHttps(Path dir, boolean deleteOnClose, TestTls tls) {
        return start(dir, deleteOnClose, Ports.free(), null, tls);
    }

    /**
     * Starts a server that accepts the headers it does not implement instead of answering 501: S3 Object Lock headers
     * on a PUT ({@code x-amz-object-lock-*}) are then taken, and ignored (S3Proxy stores no lock and enforces none).
     * The default server refuses them, as S3 does for a bucket without Object Lock.
     */
    public static EmbeddedS3 startIgnoringObjectLock() {
        try {
            return start(Files.createTempDirectory("strongroom-s3-"), true, Ports.free(), null, null, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static EmbeddedS3 start(Path dir, boolean deleteOnClose, int port, Faults faults) {
        return start(dir, deleteOnClose, port, faults, null);
    }

    private static EmbeddedS3 start(Path dir, boolean deleteOnClose, int port, Faults faults, TestTls tls) {
        return start(dir, deleteOnClose, port, faults, tls, false);
    }

    private static EmbeddedS3 start(Path dir, boolean deleteOnClose, int port, Faults faults, TestTls tls,
            boolean ignoreUnknownHeaders) {
        URI endpoint = URI.create((tls == null ? "http" : "https") + "://127.0.0.1:" + port);
        try {
            Files.createDirectories(dir);
            S3Proxy.Builder builder = S3Proxy.builder()
                    .blobStore(faults == null ? new FilesystemNio2BlobStore(dir.toAbsolutePath().toString())
                            : withFaults(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString()), faults))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .ignoreUnknownHeaders(ignoreUnknownHeaders);
            if (tls == null) {
                builder.endpoint(endpoint);
            } else {
                builder.secureEndpoint(endpoint).keyStore(tls.keystore().toString(), tls.password());
            }
            S3Proxy proxy = builder.build();
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(20); // jetty starting
            }
            EmbeddedS3 s3 = new EmbeddedS3(proxy, dir, deleteOnClose, endpoint);
            s3.tls = tls;
            return s3;
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
        var builder = S3Client.builder();
        if (tls != null) {
            builder.httpClientBuilder(Apache5HttpClient.builder()
                    .tlsTrustManagersProvider(tls::trustManagers));
        }
        return builder.endpointOverride(endpoint).forcePathStyle(true)
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
