package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.archive.S3Settings;
import io.strongroom.crypto.audit.AuditRecord;
import io.strongroom.crypto.audit.AuditTrail;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.restore.Verifier;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator service as a library, on a real broker and S3 server, with the test restores it schedules stubbed:
 * a pass provisions the topics and the tenants' and the quarantine's keys; a failed test restore shows on the status and
 * the meters; a start that fails closes what it was given.
 */
class CoordinatorServiceIT {
    private static EmbeddedKafka kafka;
    private static EmbeddedS3 s3;

    @TempDir Path dir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        s3 = EmbeddedS3.start();
        s3.createBucket("coordinator-it");
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** An audit trail that remembers whether it was closed. */
    private static final class Trail implements AuditTrail {
        final List<AuditRecord> records = new ArrayList<>();
        volatile boolean closed;

        @Override
        public synchronized void record(AuditRecord record) {
            records.add(record);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private CoordinatorService.Settings settings(CoordinatorConfig config) {
        S3Settings archive = new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, "coordinator-it", EmbeddedS3.ACCESS_KEY,
                EmbeddedS3.SECRET_KEY, null);
        return new CoordinatorService.Settings("it", Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                config, new CoordinatorService.TopicLayout(1, Optional.of((short) 1), 64 * 1024), dir.resolve("coordinator"),
                Duration.ofSeconds(10), t -> RotationPolicy.defaults(), () -> null, archive, Duration.ofMinutes(1),
                new AuditCheckpointStore.Settings("it", "coordinator-it", null, Duration.ofDays(1), null), Duration.ofMinutes(5),
                List.of(new CoordinatorService.ConsumerGroup("encryptor", "coordinator-it-nobody")));
    }

    private static CoordinatorConfig tenants(String... tenants) {
        return new CoordinatorConfig(List.of(tenants), null, null, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    private static Verifier.Report report(String tenant, List<String> problems) {
        return new Verifier.Report("it", tenant, false, "unauthenticated", 1.0, null, 1, 1, 1, problems, Duration.ZERO,
                Instant.now());
    }

    @Test
    void aPassProvisionsTopicsAndKeysAndAFailedTestRestoreShowsOnStatusAndMeters() throws Exception {
        Trail trail = new Trail();
        AuditingKms kms = new AuditingKms(TestKms.local(dir.resolve("kms"), true), trail, "coordinator");
        AtomicInteger sessionsOpen = new AtomicInteger();
        TestRestore restores = () -> {
            sessionsOpen.incrementAndGet();
            return new TestRestore.Session() {
                @Override
                public Verifier.Report verify(String tenant, Double sample) {
                    return report(tenant, tenant.equals("acme") ? List.of("segment 3: tag mismatch") : List.of());
                }

                @Override
                public void close() {
                    sessionsOpen.decrementAndGet();
                }
            };
        };
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CoordinatorService service = CoordinatorService.idle(settings(tenants("acme", "globex")),
                new CoordinatorService.Parts(kms, null, restores, meters))) {
            assertThat(service.lastPassOk()).as("no pass runs before it is asked (idle)").isEmpty();
            CoordinatorService.Pass pass = service.pass();
            assertThat(pass.createdTopics()).as("what the first pass created").contains(Topics.KEYS.name());
            try (Admin admin = kafka.admin()) {
                assertThat(admin.listTopics().names().get()).as("topics on the broker")
                        .contains(Topics.KEYS.name(), Topics.AUDIT.name(), Topics.ARCHIVE_INDEX.name());
            }
            assertThat(trail.records).as("keys created for the tenants and the quarantine, audited")
                    .extracting(AuditRecord::tenant).contains("acme", "globex", SystemTenants.QUARANTINE);

            service.verifyTenants(List.of("acme", "globex"), 1.0);
            assertThat(sessionsOpen).as("the test-restore session is closed after the run").hasValue(0);
            assertThat(service.lastVerification("acme")).hasValueSatisfying(v -> assertThat(v.ok()).isFalse());
            assertThat(service.lastVerification("globex")).hasValueSatisfying(v -> assertThat(v.ok()).isTrue());
            assertThat(meters.get("strongroom.verify.ok").tag("tenant", "acme").gauge().value()).isZero();
            assertThat(meters.get("strongroom.verify.ok").tag("tenant", "globex").gauge().value()).isEqualTo(1.0);

            CoordinatorService.Status status = service.status();
            assertThat(status.testRestoreSuccessRate()).isEqualTo(0.5);
            assertThat(status.tenants()).extracting(CoordinatorService.TenantStatus::tenant).containsExactly("acme", "globex");
            CoordinatorService.TenantStatus acme = status.tenants().get(0);
            assertThat(acme.key()).as("acme's key, as the KMS has it").isNotNull();
            assertThat(acme.key().keyId()).isEqualTo(kms.keyIdFor("acme"));
            assertThat(acme.overdue()).isFalse();
            assertThat(acme.lastTestRestore().ok()).isFalse();
            assertThat(status.lag()).singleElement().satisfies(g -> {
                assertThat(g.groupId()).isEqualTo("coordinator-it-nobody");
                assertThat(g.behind()).isNull();
                assertThat(g.note()).isEqualTo("no commits yet");
            });
        }
        assertThat(trail.closed).as("the service closes the KMS it was given").isTrue();
    }

    @Test
    void aStartThatFailsClosesWhatItWasGivenAndNamesTheAddress() throws Exception {
        Trail trail = new Trail();
        AuditingKms kms = new AuditingKms(TestKms.local(dir.resolve("kms"), true), trail, "coordinator");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CoordinatorConfig config = new CoordinatorConfig(List.of("acme"), null, null, null, null, taken.getLocalPort(),
                    "127.0.0.1", null, null, null, null, null, null, null);
            assertThatThrownBy(() -> CoordinatorService.start(settings(config),
                    new CoordinatorService.Parts(kms, null, () -> { throw new AssertionError("not run"); }, new SimpleMeterRegistry())))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("admin API not started on 127.0.0.1:" + taken.getLocalPort());
        }
        assertThat(trail.closed).as("the KMS it was given is closed, not leaked").isTrue();
    }

    @Test
    void settingsRefuseIntervalsThatWouldFailTheScheduleAfterTheStart() {
        CoordinatorService.Settings ok = settings(tenants("acme"));
        assertThatThrownBy(() -> new CoordinatorService.Settings(ok.environment(), ok.kafka(), ok.coordinator(), ok.topics(),
                ok.stateDir(), ok.kmsTimeout(), ok.rotationPolicy(), ok.trust(), ok.archive(), Duration.ZERO, ok.checkpoints(),
                ok.checkpointInterval(), ok.consumerGroups()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("heads.interval and audit.checkpoint-interval must be at least PT1S, got PT0S and PT5M");
    }
}
