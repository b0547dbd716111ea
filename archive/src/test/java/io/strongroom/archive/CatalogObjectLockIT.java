package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.Classification;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.PutObjectLegalHoldRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * With {@code archiver.object-lock}, every catalog object the archive module writes asks S3 for a lock, so that an S3
 * writer (or a leaked admin credential) cannot delete what a reader relies on: a prune marker (its deletion would make
 * pruned segments look lost, or, deleted together with the data, hide a real loss), a legacy attestation, a legal hold
 * (deleted, it would let a prune through) and a chain-head checkpoint. S3Proxy accepts these requests but does not
 * enforce them (no S3-compatible server on this machine does; by default it refuses them with 501, as S3 does for a
 * bucket without Object Lock — {@link #aStoreWithoutObjectLockFailsTheWriteRatherThanLeaveItUnlocked}), so the test
 * checks what is asked of the real server, request by request, as S3 receives it; enforcing it is S3's part.
 */
class CatalogObjectLockIT {
    private static final String ENV = "prod";
    private static final String DAY = "2026/01/01";
    private static final long SEALED = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");
    private static final SigningIdentity OPERATOR = SigningIdentity.generate(Role.OPERATOR, ENV);
    private static final SigningIdentity ARCHIVER = SigningIdentity.generate(Role.ARCHIVER, ENV);
    private static final SigningIdentity COORDINATOR = SigningIdentity.generate(Role.COORDINATOR, ENV);
    /** PUBLIC kept 30 days, RESTRICTED a year; segments without a retention locked 90 days. */
    private static final RetentionPolicy POLICY = new RetentionPolicy(
            Map.of(Classification.PUBLIC, Duration.ofDays(30), Classification.RESTRICTED, Duration.ofDays(365)),
            "COMPLIANCE", Duration.ofDays(90));

    private final List<SdkRequest> requests = new ArrayList<>();
    private EmbeddedS3 s3;
    private ArchiveTarget target;

    @BeforeEach
    void start() {
        s3 = EmbeddedS3.startIgnoringObjectLock();
        s3.createBucket("archive");
        S3Client recording = S3Client.builder().endpointOverride(s3.endpoint()).forcePathStyle(true)
                .region(Region.of(EmbeddedS3.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)))
                .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                        synchronized (requests) {
                            requests.add(context.request());
                        }
                    }
                }))
                .build();
        target = ArchiveTarget.over(recording, "archive");
    }

    @AfterEach
    void stop() {
        target.close();
        s3.close();
    }

    private PutObjectRequest put(String key) {
        synchronized (requests) {
            return requests.stream().filter(r -> r instanceof PutObjectRequest p && p.key().equals(key))
                    .map(PutObjectRequest.class::cast).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(
                            "no PutObject of " + key + " in " + requests));
        }
    }

    @Test
    void aPruneMarkerIsLockedForTheLongestRetentionFromWhenItIsWritten() {
        String segment = String.format("%s/acme/changes/%s/p0/%020d-%020d-s1.srseg", ENV, DAY, 0, 9);
        target.putIfAbsent(segment, "s1".getBytes(StandardCharsets.UTF_8), "application/octet-stream", null);
        String part = ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, 0, 9);
        Manifests.Entry e = new Manifests.Entry("s1", segment, "changes", 0, 0, 9, 10, SEALED, SEALED, SEALED, null,
                "local://k", "1", 2, "00", "00000000", Classification.PUBLIC.name(), null, null, null);
        target.putIfAbsent(part, CatalogSignatures.seal(ARCHIVER, part, Manifests.encode(
                new Manifests.Part(Manifests.FORMAT_VERSION, ENV, "acme", DAY, List.of(e)))), "application/json", null);

        Retention.Result r = Retention.prune(List.of(target), ENV, List.of("acme"), POLICY, NOW, "op", false, k -> { },
                OPERATOR, null);

        assertThat(r.expired()).containsExactly(segment);
        String marker;
        synchronized (requests) {
            marker = requests.stream().filter(q -> q instanceof PutObjectRequest p
                    && ArchiveLayout.parse(p.key()).kind() == ArchiveLayout.Kind.PRUNE_MARKER)
                    .map(q -> ((PutObjectRequest) q).key()).findFirst().orElseThrow();
        }
        PutObjectRequest p = put(marker);
        assertThat(p.objectLockModeAsString()).isEqualTo("COMPLIANCE");
        assertThat(p.objectLockRetainUntilDate()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        // and S3 stored it: the marker is there, the segment is gone
        assertThat(target.getIfPresent(marker)).isNotNull();
        assertThat(target.getIfPresent(segment)).isNull();
    }

    @Test
    void aLegalHoldIsAnS3LegalHoldThatIsLiftedBeforeItsObjectIsDeleted() {
        Retention.Hold hold = Retention.hold(List.of(target), ENV, "acme", "case 7", "op", OPERATOR, POLICY);
        String key = ArchiveLayout.holdKey(ENV, "acme", hold.id());

        PutObjectRequest p = put(key);
        assertThat(p.objectLockLegalHoldStatus()).isEqualTo(ObjectLockLegalHoldStatus.ON);
        assertThat(p.objectLockMode()).isNull(); // a hold has no end date
        assertThat(Retention.holds(target, ENV, "acme")).extracting(Retention.Hold::id).containsExactly(hold.id());

        int before = requests.size();
        assertThat(Retention.release(List.of(target), ENV, "acme", hold.id(), POLICY)).isTrue();

        List<SdkRequest> release;
        synchronized (requests) {
            release = List.copyOf(requests.subList(before, requests.size()));
        }
        int lifted = indexOf(release, PutObjectLegalHoldRequest.class);
        int deleted = indexOf(release, DeleteObjectRequest.class);
        assertThat(lifted).as("legal hold lifted in %s", release).isNotNegative();
        assertThat(((PutObjectLegalHoldRequest) release.get(lifted)).legalHold().status())
                .isEqualTo(ObjectLockLegalHoldStatus.OFF);
        assertThat(deleted).as("delete after the lift in %s", release).isGreaterThan(lifted);
        assertThat(Retention.holds(target, ENV, "acme")).isEmpty();
    }

    @Test
    void withoutObjectLockNothingIsAskedFor() {
        Retention.Hold hold = Retention.hold(List.of(target), ENV, "acme", "case 8", "op", OPERATOR, RetentionPolicy.none());
        PutObjectRequest p = put(ArchiveLayout.holdKey(ENV, "acme", hold.id()));
        assertThat(p.objectLockLegalHoldStatus()).isNull();
        assertThat(p.objectLockMode()).isNull();
        assertThat(POLICY.catalogLock(NOW)).isNotNull();
        assertThat(new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(1)), null).catalogLock(NOW)).isNull();
    }

    @Test
    void anAttestationAndAChainHeadCheckpointAreLocked() {
        String attestation = LegacyAttestation.write(List.of(target), ENV, "acme", OPERATOR, "op",
                Map.of(ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, 0, 9), "00"), NOW.toEpochMilli(), POLICY);
        PutObjectRequest a = put(attestation);
        assertThat(a.objectLockModeAsString()).isEqualTo("COMPLIANCE");
        assertThat(a.objectLockRetainUntilDate()).isEqualTo(NOW.plus(Duration.ofDays(365)));

        ChainHeads.Stored c = ChainHeads.write(List.of(target), ENV, COORDINATOR, null, List.of(), NOW,
                Duration.ofMinutes(5), new ArchiveTarget.Lock("COMPLIANCE", NOW.plus(Duration.ofDays(400))));
        PutObjectRequest h = put(c.key());
        assertThat(h.objectLockModeAsString()).isEqualTo("COMPLIANCE");
        assertThat(h.objectLockRetainUntilDate()).isEqualTo(NOW.plus(Duration.ofDays(400)));
    }

    @Test
    void aStoreWithoutObjectLockFailsTheWriteRatherThanLeaveItUnlocked() {
        try (EmbeddedS3 plain = EmbeddedS3.start()) {
            plain.createBucket("archive");
            try (ArchiveTarget t = ArchiveTarget.over(plain.client(), "archive")) {
                Assertions.assertThatThrownBy(() -> Retention.hold(List.of(t), ENV, "acme", "case 9",
                        "op", OPERATOR, POLICY)).isInstanceOf(S3Exception.class)
                        .hasMessageContaining("not implemented");
                assertThat(Retention.holds(t, ENV, "acme")).isEmpty();
            }
        }
    }

    private static int indexOf(List<SdkRequest> list, Class<?> type) {
        for (int i = 0; i < list.size(); i++) {
            if (type.isInstance(list.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
