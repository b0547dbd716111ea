package io.strongroom.archive;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Objects;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Where archives live: an S3-compatible endpoint and bucket.
 *
 * @param endpoint endpoint URL; null for AWS S3 itself
 * @param region signing region
 * @param bucket bucket name (required)
 * @param accessKey access key; null to use the AWS default credentials chain
 * @param secretKey secret key, with {@code accessKey}
 * @param pathStyle path-style addressing; defaults to true when an endpoint is set
 * @param trustStore a PKCS#12 (or JKS) truststore of the CA an {@code https} endpoint's certificate is issued by (a
 *     private CA); null for the JVM's default trust
 * @param trustStorePassword its password
 * @param requestChecksums {@code WHEN_REQUIRED} (default): the SDK adds its own CRC32 checksum only where S3 requires
 *     one — every segment already carries a CRC32C of its body and a SHA-256 in its manifest entry, uploads are
 *     signed (SigV4) and TLS protects them in transit, and S3-compatible stores that do not know the SDK's trailing
 *     checksums accept the requests; {@code WHEN_SUPPORTED} to add it to every upload (the SDK's default)
 */
public record S3Settings(String endpoint, String region, String bucket, String accessKey, String secretKey,
        Boolean pathStyle, String trustStore, String trustStorePassword, String requestChecksums) {

    /** Settings with the JVM's default trust. */
    public S3Settings(String endpoint, String region, String bucket, String accessKey, String secretKey, Boolean pathStyle) {
        this(endpoint, region, bucket, accessKey, secretKey, pathStyle, null, null, null);
    }

    public S3Settings {
        region = Objects.requireNonNullElse(region, "us-east-1");
        requestChecksums = Objects.requireNonNullElse(requestChecksums, "WHEN_REQUIRED");
        if (!requestChecksums.equals("WHEN_REQUIRED") && !requestChecksums.equals("WHEN_SUPPORTED")) {
            throw new IllegalArgumentException("s3.request-checksums must be WHEN_REQUIRED or WHEN_SUPPORTED, got '" + requestChecksums + "'");
        }
        pathStyle = Objects.requireNonNullElse(pathStyle, endpoint != null);
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("s3.bucket is required");
        }
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("s3.bucket must be a valid bucket name (3-63 of a-z 0-9 . -), got '" + bucket + "'");
        }
        if (trustStore != null && (endpoint == null || !endpoint.startsWith("https://"))) {
            throw new IllegalArgumentException("s3.trust-store is for an https:// s3.endpoint, got " + endpoint);
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("s3.access-key and s3.secret-key must be given together");
        }
        if (endpoint != null) {
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("s3.endpoint is not a valid URL: " + endpoint, e);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("s3.endpoint must start with http:// or https://, got " + endpoint);
            }
        }
    }

    /** A client for these settings; close it. */
    public S3Client client() {
        Apache5HttpClient.Builder http = Apache5HttpClient.builder();
        if (trustStore != null) {
            TrustManager[] trust = trustManagers();
            http.tlsTrustManagersProvider(() -> trust);
        }
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(http)
                .requestChecksumCalculation(RequestChecksumCalculation.valueOf(requestChecksums))
                .region(Region.of(region))
                .forcePathStyle(pathStyle)
                .credentialsProvider(credentials());
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder.build();
    }

    private AwsCredentialsProvider credentials() {
        return accessKey == null ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    }

    private TrustManager[] trustManagers() {
        try (var in = Files.newInputStream(Path.of(trustStore))) {
            KeyStore store = KeyStore.getInstance(trustStore.endsWith(".jks") ? "JKS" : "PKCS12");
            store.load(in, trustStorePassword == null ? null : trustStorePassword.toCharArray());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("s3.trust-store " + trustStore + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() { // never print the secret
        return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", accessKey="
                + accessKey + ", pathStyle=" + pathStyle + ", trustStore=" + trustStore + "]";
    }
}
