package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.TestRestore;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.restore.Verifier;
import java.nio.file.Path;
import java.util.List;

/** The rotation coordinator as the configuration says: its settings and the parts it is given. */
final class Coordinators {
    private Coordinators() {}

    /** Starts the coordinator with its schedules and admin API. */
    static CoordinatorService start(StrongroomConfig c) {
        return CoordinatorService.start(settings(c), parts(c));
    }

    /** A coordinator that runs only what it is asked ({@code coordinator --once}). */
    static CoordinatorService idle(StrongroomConfig c) {
        return CoordinatorService.idle(settings(c), parts(c));
    }

    /** Where the coordinator keeps its state: {@code DATA_DIR/coordinator}. */
    static Path stateDir(StrongroomConfig c) {
        return Path.of(c.dataDir(), "coordinator");
    }

    static CoordinatorService.Settings settings(StrongroomConfig c) {
        return new CoordinatorService.Settings(c.environment(), c.kafka().clientProperties(), c.coordinator(),
                new CoordinatorService.TopicLayout(c.kafka().partitions(), c.kafka().replication(),
                        c.encryptor().segmentMaxBytes()),
                stateDir(c), c.kms().timeout(), c::rotationPolicy, c::trust, c.s3(), c.heads().interval(), c.auditCheckpoints(),
                c.audit().checkpointInterval(), List.of(
                        new CoordinatorService.ConsumerGroup("ingest", c.ingest().applicationId()),
                        new CoordinatorService.ConsumerGroup("encryptor", c.encryptor().applicationId()),
                        new CoordinatorService.ConsumerGroup("archiver", c.archiver().groupId()),
                        new CoordinatorService.ConsumerGroup("anomaly", c.anomaly().applicationId())));
    }

    private static CoordinatorService.Parts parts(StrongroomConfig c) {
        AuditingKms kms = KmsFactory.create(c, "coordinator");
        try {
            SigningIdentity identity = c.signingIdentity(Role.COORDINATOR, kms);
            return new CoordinatorService.Parts(kms, identity, testRestore(c), Metrics.globalRegistry);
        } catch (RuntimeException e) {
            kms.close();
            throw e;
        }
    }

    /** Each scheduled run test-restores through a KMS client of its own, audited under principal {@code verify}. */
    private static TestRestore testRestore(StrongroomConfig c) {
        return () -> {
            AuditingKms kms = KmsFactory.create(c, "verify");
            return new TestRestore.Session() {
                @Override
                public Verifier.Report verify(String tenant, Double sample) {
                    return Verification.run(c, kms, tenant, sample, null, (done, total, events) -> { });
                }

                @Override
                public void close() {
                    kms.close();
                }
            };
        };
    }
}
