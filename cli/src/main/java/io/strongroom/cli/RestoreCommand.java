package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.Checkpoint;
import io.strongroom.restore.KafkaSink;
import io.strongroom.restore.Masking;
import io.strongroom.restore.PostgresSink;
import io.strongroom.restore.RestoreJob;
import io.strongroom.restore.RestoreSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
            description = "Where to write: jsonl:PATH; kafka:TOPIC (each record as the source had it: key, value, headers and "
                    + "timestamp byte for byte, in the source's partition number if the topic has it; one transaction); "
                    + "postgres:JDBC_URL (changes applied in order, upsert by key; one transaction; password from "
                    + "$STRONGROOM_RESTORE_POSTGRES_PASSWORD).")
    String target;

    @Option(names = "--from", paramLabel = "TIME", description = "Only changes at or after TIME (ISO-8601, e.g. 2026-11-29T10:00:00Z).")
    String from;

    @Option(names = "--until", paramLabel = "TIME", description = "Only changes at or before TIME.")
    String until;

    @Option(names = "--mask", split = ",", paramLabel = "COLUMN",
            description = "Replace these columns (in every table) with deterministic masks: restore drills on harmless data.")
    List<String> mask = List.of();

    @Option(names = "--mask-key-file", paramLabel = "FILE",
            description = "Key of the masks (so two restores mask alike); default: a random key per restore.")
    Path maskKeyFile;

    @Option(names = "--ddl", paramLabel = "FILE", description = "With postgres:, SQL creating the tables that do not exist yet.")
    Path ddl;

    @Option(names = "--as-of", paramLabel = "TIME", description = "Everything up to TIME: the data as it was then (same as --until).")
    String asOf;

    @Option(names = "--as-envelope", description = "With kafka:, write each change as a Debezium-style envelope re-serialized "
            + "from the archived fields (before, after, op, source, ts_ms) plus strongroom.source.* headers, as earlier releases "
            + "did, instead of the original value. Archives written before the original value was kept always restore this way.")
    boolean asEnvelope;

    @Option(names = "--provenance-headers", description = "With kafka:, add headers strongroom.source.topic, "
            + "strongroom.source.partition and strongroom.source.offset (the record's position on its source topic).")
    boolean provenanceHeaders;

    @Option(names = "--offset-map", paramLabel = "FILE", description = "With kafka:, write a CSV of source_topic, "
            + "source_partition, source_offset, partition, offset for every record written (to translate consumer offsets).")
    Path offsetMap;

    @Option(names = "--dry-run", description = "Read, authenticate and count, but write nothing.")
    boolean dryRun;

    @Option(names = "--audit-file", paramLabel = "FILE", description = "Audit key use into FILE (hash-chained, local) "
            + "instead of strongroom.audit: restore while Kafka is down; ship it later with strongroom audit ship.")
    Path auditFile;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Make the restore resumable: progress is recorded in "
            + "FILE (and FILE.plan, FILE.links) as it becomes durable in the target; after an interruption, the same command "
            + "resumes where it stopped. Each checkpoint commits (PostgreSQL, Kafka), so the target shows the restore in "
            + "steps rather than all at once. The files are deleted when the restore completes.")
    Path checkpointFile;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "64",
            description = "With --checkpoint: segments between two checkpoints (default 64; at least every 10 s anyway).")
    int checkpointEvery;

    private Instant time(String option, String value) {
        return Args.instant(spec, option, value);
    }

    @Override
    public Integer call() {
        if (asOf != null && until != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --as-of or --until, not both");
        }
        if (checkpointEvery < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--checkpoint-every must be at least 1, got "
                    + checkpointEvery);
        }
        Instant fromTime = time("--from", from);
        Instant untilTime = asOf != null ? time("--as-of", asOf) : time("--until", until);
        if (fromTime != null && untilTime != null && fromTime.isAfter(untilTime)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--from " + fromTime + " is after "
                    + (asOf != null ? "--as-of " : "--until ") + untilTime);
        }
        String kafkaTopic = !dryRun && target != null && target.startsWith("kafka:") ? target.substring("kafka:".length()) : null;
        String jdbcUrl = !dryRun && target != null && target.startsWith("postgres:") ? target.substring("postgres:".length()) : null;
        if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--to-target postgres:JDBC_URL needs a URL such as "
                    + "jdbc:postgresql://host:5432/db?user=restore, got '" + jdbcUrl + "'");
        }
        if (ddl != null && !Files.isReadable(ddl)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ddl " + ddl + ": cannot read it");
        }
        if (kafkaTopic != null && kafkaTopic.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--to-target kafka:TOPIC needs a topic");
        }
        if (kafkaTopic == null && (asEnvelope || provenanceHeaders || offsetMap != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), (asEnvelope ? "--as-envelope" : provenanceHeaders
                    ? "--provenance-headers" : "--offset-map") + " applies to --to-target kafka:TOPIC only");
        }
        Path output = dryRun || kafkaTopic != null || jdbcUrl != null ? null : jsonlPath();
        if (checkpointFile != null && !mask.isEmpty() && maskKeyFile == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--checkpoint with --mask needs --mask-key-file, "
                    + "so that a resumed restore masks the same way as the run it continues");
        }
        StrongroomConfig c = config.load();
        Checkpoint checkpoint = checkpointFile == null ? null
                : Checkpoint.open(checkpointFile, Checkpoint.fingerprint(
                        c.environment(), tenant, table, fromTime, untilTime, mask, dryRun ? "none (dry run)"
                                : target + (asEnvelope ? " --as-envelope" : "") + (provenanceHeaders ? " --provenance-headers" : "")))
                        .every(checkpointEvery);
        if (checkpoint != null && checkpoint.resumed()) {
            System.err.printf("resuming restore %s from checkpoint %s: %,d of %,d segments done%n", checkpoint.restoreId(),
                    checkpointFile, checkpoint.state().done(), checkpoint.state().planSize());
        }
        try (Kms kms = KmsFactory.create(c, "restore", auditFile); S3Client s3 = c.s3().client();
                RestoreSink sink = kafkaTopic != null
                        ? new KafkaSink(c.kafka().clientProperties(), kafkaTopic,
                                checkpoint != null ? checkpoint.restoreId() : UUID.randomUUID().toString(),
                                new KafkaSink.Options(asEnvelope, provenanceHeaders, offsetMap))
                        : jdbcUrl != null ? postgres(jdbcUrl) : null) {
            ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout(), c.trust());
            RestoreJob.Result r = RestoreJob.run(reader, new RestoreJob.Options(c.environment(), tenant, table, output,
                    c.restore().parallelism(), fromTime, untilTime, masking(), null, null), sink, checkpoint,
                    new ProgressPrinter("restore " + tenant, System.err));
            System.out.printf("%s %,d events from %,d segments (%,d bytes) of tenant %s in %.1f s%s%n",
                    dryRun ? "verified" : "restored", r.events(), r.segments(), r.bytes(), tenant,
                    r.elapsed().toMillis() / 1000.0, output != null ? " to " + output : kafkaTopic != null ? " to Kafka topic " + kafkaTopic
                            : jdbcUrl != null ? " to PostgreSQL" : "");
            System.out.println(r.authenticity(Instant.now()));
            if (sink instanceof KafkaSink k && r.ok()) {
                k.placements().forEach(p -> System.out.println("  " + p));
                if (offsetMap != null) {
                    System.out.println("offset map: " + offsetMap);
                }
            }
            r.problems().forEach(p -> System.err.println("problem: " + p));
            return r.ok() ? 0 : 1;
        }
    }

    private Masking masking() {
        if (mask.isEmpty()) {
            return null;
        }
        byte[] key = new byte[32];
        try {
            if (maskKeyFile != null) {
                key = Files.readAllBytes(maskKeyFile);
            } else {
                new SecureRandom().nextBytes(key);
            }
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--mask-key-file " + maskKeyFile + ": " + e.getMessage());
        }
        return new Masking(Set.copyOf(mask), key);
    }

    private RestoreSink postgres(String jdbcUrl) {
        try {
            return new PostgresSink(jdbcUrl, System.getenv("STRONGROOM_RESTORE_POSTGRES_PASSWORD"), ddl);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + jdbcUrl.replaceAll("password=[^&]*", "password=***") + ": "
                    + e.getMessage(), e);
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
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--to-target: unknown target kind '"
                    + kind + "' (expected jsonl:PATH, kafka:TOPIC or postgres:JDBC_URL)");
        }
    }
}
