package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.restore.Verifier;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
            } catch (DateTimeParseException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--since must be a date (2026-11-29) or an instant, got '"
                        + since + "'");
            }
        }
        if (sample != null && (sample <= 0 || sample > 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sample must be in (0, 1], got " + sample);
        }
        try (AuditingKms kms = KmsFactory.create(c, "restore")) {
            Verifier.Report report = Verification.run(c, kms, tenant, sample, sinceDay,
                    new ProgressPrinter("verify", System.err));
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report.toMap()));
            return report.ok() ? 0 : 1;
        }
    }
}
