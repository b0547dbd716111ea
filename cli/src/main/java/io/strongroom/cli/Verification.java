package io.strongroom.cli;

import io.strongroom.archive.ArchiveTarget;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import io.strongroom.restore.Verifier;
import java.time.LocalDate;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A {@link Verifier} run as the configuration says: the archive and its replicas, the trust file, the chain heads'
 * allowed age ({@code heads.interval} × {@code heads.stale-after-intervals}) and {@code restore.parallelism}. What
 * {@code strongroom verify} and the coordinator's scheduled verification both run; audited as {@code VERIFY}.
 */
final class Verification {
    private Verification() {}

    static Verifier.Report run(StrongroomConfig c, AuditingKms kms, String tenant, Double sample, LocalDate since,
            RestoreJob.Progress progress) {
        TrustFile trust = c.trust();
        Verifier.Request request = new Verifier.Request(c.environment(), tenant, sample, since, c.restore().parallelism());
        try (S3Client s3 = c.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout(), trust);
            if (trust != null) {
                reader = reader.requiringHeadsWithin(c.heads().interval().multipliedBy(c.heads().staleAfterIntervals()));
            }
            List<ArchiveTarget> targets = c.archiver().replicas().isEmpty() ? List.of() : c.archiveTargets();
            try {
                Verifier.Report report = Verifier.verify(reader, targets, request, trust != null, progress);
                kms.record(AuditAction.VERIFY, report.ok() ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE, tenant, null,
                        report.auditDetail());
                return report;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }
}
