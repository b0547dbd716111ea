package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code strongroom verify}: a test restore of every segment, reported as JSON. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Test-restore archives: fetch, unwrap, authenticate and decrypt every segment, check every chain; "
                + "print a JSON report; exit 1 if anything is damaged or undecryptable.")
final class VerifyCommand implements Callable<Integer> {
    @Mixin ConfigOption config;

    @Option(names = "--tenant", description = "Only this tenant (default: all).")
    String tenant;

    @Override
    public Integer call() throws Exception {
        StrongroomConfig c = config.load();
        try (Kms kms = KmsFactory.create(c, "restore"); S3Client s3 = c.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout());
            RestoreJob.Result r = RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, null, null,
                    c.restore().parallelism()), new ProgressPrinter("verify", System.err));
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("environment", c.environment());
            report.put("tenant", tenant == null ? "*" : tenant);
            report.put("ok", r.ok());
            report.put("segments", r.segments());
            report.put("events", r.events());
            report.put("bytes", r.bytes());
            report.put("problems", r.problems());
            report.put("elapsedMs", r.elapsed().toMillis());
            report.put("verifiedAt", java.time.Instant.now().toString());
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            return r.ok() ? 0 : 1;
        }
    }
}
