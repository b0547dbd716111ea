package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedS3;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Encryption in transit: the whole pipeline — ingest, encryptor, archiver, restore, verify, the coordinator's key
 * events, the audit trail — runs against a broker whose only client listener is SSL and an S3 that speaks only
 * HTTPS, with certificates made at test time; a plaintext client or one that does not trust the certificate is
 * refused.
 */
class TlsIT {

    @Test
    void thePipelineRunsOverTlsToKafkaAndHttpsToS3AndPlaintextIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-tls-it-");
        try (Sandbox sandbox = Sandbox.startTls(dir, "PT1S")) {
            assertThat(sandbox.config().kafka().clientProperties()).containsEntry("security.protocol", "SSL");
            assertThat(sandbox.config().s3().endpoint()).startsWith("https://");

            assertThat(Demo.run(sandbox, new Demo.Options(300, 2, 53, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            PipelineIT.Run verify = PipelineIT.run("verify", "--config", sandbox.configFile().toString(), "--tenant", "acme");
            assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
            PipelineIT.Run audit = PipelineIT.run("audit", "verify", "--config", sandbox.configFile().toString());
            assertThat(audit.code()).as(audit.out() + audit.err()).isZero();

            // a plaintext Kafka client gets no answer from the SSL listener
            try (Admin plain = Admin.create(Map.of("bootstrap.servers", sandbox.kafka().bootstrapServers(),
                    "request.timeout.ms", 3000, "default.api.timeout.ms", 5000))) {
                assertThatThrownBy(() -> plain.describeCluster().nodes().get(10, TimeUnit.SECONDS))
                        .isInstanceOfAny(ExecutionException.class, TimeoutException.class);
            }
            // an HTTPS client that does not trust the certificate is refused; plain HTTP gets no S3 answer
            try (S3Client untrusting = S3Client.builder().endpointOverride(sandbox.s3().endpoint()).forcePathStyle(true)
                    .region(Region.of(EmbeddedS3.REGION)).credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY))).build()) {
                assertThatThrownBy(() -> untrusting.listBuckets()).hasStackTraceContaining("PKIX");
            }
            try (S3Client http = S3Client.builder().endpointOverride(URI.create(sandbox.s3().endpoint().toString()
                    .replace("https://", "http://"))).forcePathStyle(true).region(Region.of(EmbeddedS3.REGION))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY,
                            EmbeddedS3.SECRET_KEY))).build()) {
                assertThatThrownBy(() -> http.listBuckets()).isInstanceOf(SdkException.class);
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
