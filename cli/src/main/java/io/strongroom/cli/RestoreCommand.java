package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code strongroom restore}: bring a tenant's data back from S3 alone. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a tenant's change events from the archive (S3 + KMS only, no Kafka needed).")
final class RestoreCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--tenant", required = true, description = "Tenant to restore.")
    String tenant;

    @Option(names = "--table", description = "Only this table (schema.table or table).")
    String table;

    @Option(names = "--to-target", paramLabel = "KIND:WHERE",
            description = "Where to write: jsonl:PATH (kafka:TOPIC and postgres:JDBC_URL come in a later release).")
    String target;

    @Option(names = "--dry-run", description = "Read, authenticate and count, but write nothing.")
    boolean dryRun;

    @Option(names = "--audit-file", paramLabel = "FILE", description = "Audit key use into FILE (hash-chained, local) "
            + "instead of strongroom.audit: restore while Kafka is down; ship it later with strongroom audit ship.")
    Path auditFile;

    @Override
    public Integer call() {
        Path output = dryRun ? null : jsonlPath();
        StrongroomConfig c = config.load();
        try (Kms kms = KmsFactory.create(c, "restore", auditFile); S3Client s3 = c.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout());
            RestoreJob.Result r = RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, table, output,
                    c.restore().parallelism()), new ProgressPrinter("restore " + tenant, System.err));
            System.out.printf("%s %,d events from %,d segments (%,d bytes) of tenant %s in %.1f s%s%n",
                    dryRun ? "verified" : "restored", r.events(), r.segments(), r.bytes(), tenant,
                    r.elapsed().toMillis() / 1000.0, output == null ? "" : " to " + output);
            r.problems().forEach(p -> System.err.println("problem: " + p));
            return r.ok() ? 0 : 1;
        }
    }

    private Path jsonlPath() {
        if (target == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--to-target is required unless --dry-run is given");
        }
        int colon = target.indexOf(':');
        String kind = colon < 0 ? target : target.substring(0, colon);
        String where = colon < 0 ? "" : target.substring(colon + 1);
        switch (kind) {
            case "jsonl" -> {
                if (where.isBlank()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--to-target jsonl:PATH needs a path");
                }
                return Path.of(where);
            }
            case "kafka", "postgres" -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--to-target " + kind + ": is not supported in this release yet (supported: jsonl:PATH)");
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--to-target: unknown target kind '"
                    + kind + "' (expected jsonl:PATH, kafka:TOPIC or postgres:JDBC_URL)");
        }
    }
}
