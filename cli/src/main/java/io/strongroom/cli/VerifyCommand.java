package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.archive.ArchiveRepair;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code strongroom verify}: a test restore of every (or a sample of) segment, reported as JSON. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Test-restore archives: fetch, unwrap, authenticate and decrypt every segment (or a sample), check every "
                + "chain and that every target holds the same objects; print a JSON report; audited (VERIFY); exit 1 if "
                + "anything is damaged, missing or undecryptable.")
final class VerifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Mixin ConfigOption config;
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--tenant", description = "Only this tenant (default: all).")
    String tenant;

    @Option(names = "--sample", paramLabel = "FRACTION", description = "Decrypt only this fraction of segments, at random (0..1].")
    Double sample;

    @Option(names = "--since", paramLabel = "TIME", description = "Only segments sealed on or after this day (ISO-8601 date or instant).")
    String since;

    @Override
    public Integer call() throws Exception {
        StrongroomConfig c = config.load();
        LocalDate sinceDay = null;
        if (since != null) {
            try {
                sinceDay = since.length() == 10 ? LocalDate.parse(since) : Instant.parse(since).atZone(ZoneOffset.UTC).toLocalDate();
            } catch (java.time.format.DateTimeParseException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--since must be a date (2026-11-29) or an instant, got '"
                        + since + "'");
            }
        }
        if (sample != null && (sample <= 0 || sample > 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sample must be in (0, 1], got " + sample);
        }
        try (AuditingKms kms = KmsFactory.create(c, "restore")) {
            Map<String, Object> report = verify(c, kms, tenant, sample, sinceDay, new ProgressPrinter("verify", System.err));
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
            return Boolean.TRUE.equals(report.get("ok")) ? 0 : 1;
        }
    }

    /** Verifies and audits; returns the report. */
    static Map<String, Object> verify(StrongroomConfig c, AuditingKms kms, String tenant, Double sample, LocalDate since,
            RestoreJob.Progress progress) {
        RestoreJob.Result r;
        try (S3Client s3 = c.s3().client()) {
            io.strongroom.crypto.identity.TrustFile trust = c.trust();
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout(), trust);
            if (trust != null) {
                reader = reader.requiringHeadsWithin(c.heads().interval().multipliedBy(c.heads().staleAfterIntervals()));
            }
            r = RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, null, null, c.restore().parallelism(),
                    null, null, null, sample, since), progress);
        }
        List<String> problems = new ArrayList<>(r.problems());
        if (!c.archiver().replicas().isEmpty()) { // every target must hold the same objects
            List<ArchiveTarget> targets = ArchiveCommand.targets(c);
            try {
                String prefix = tenant == null ? ArchiveLayout.environmentPrefix(c.environment())
                        : ArchiveLayout.tenantPrefix(c.environment(), tenant);
                var differences = ArchiveRepair.differences(targets, prefix);
                differences.forEach(d -> problems.add("replicas differ: " + d));
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
        boolean ok = problems.isEmpty();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("environment", c.environment());
        report.put("tenant", tenant == null ? "*" : tenant);
        report.put("ok", ok);
        report.put("authenticated", c.identity().trustFile() != null);
        report.put("catalog", r.authenticity(Instant.now()));
        report.put("sample", sample == null ? 1.0 : sample);
        report.put("since", since == null ? null : since.toString());
        report.put("segments", r.segments());
        report.put("events", r.events());
        report.put("bytes", r.bytes());
        report.put("problems", problems);
        report.put("elapsedMs", r.elapsed().toMillis());
        report.put("verifiedAt", Instant.now().toString());
        kms.record(AuditAction.VERIFY, ok ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE, tenant, null,
                "verified " + r.segments() + " segments, " + r.events() + " events" + (ok ? "" : ", " + problems.size() + " problems"));
        return report;
    }
}
