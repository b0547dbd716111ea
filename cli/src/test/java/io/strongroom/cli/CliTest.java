package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad usage and bad configuration: one clear line and exit code 2, no stack trace. */
class CliTest {
    @TempDir Path dir;

    @Test
    void unknownOptionIsAUsageError() {
        PipelineIT.Run r = PipelineIT.run("demo", "--evnets", "5");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--evnets'").contains("Possible solutions: --events");
    }

    @Test
    void missingConfigOptionIsAUsageError() {
        PipelineIT.Run r = PipelineIT.run("archiver");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void unreadableConfigIsOneLineAndExitCode2() {
        PipelineIT.Run r = PipelineIT.run("verify", "--config", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("strongroom verify: cannot read config file " + dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void configWithUnknownKeyIsOneLineNamingTheKey() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\n  bukket: x\n");
        PipelineIT.Run r = PipelineIT.run("encryptor", "--config", f.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("strongroom encryptor: config " + f + ": unknown key 's3.bukket' at line 4")
                .doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void restoreTargetMustBeAKnownKind() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\n");
        PipelineIT.Run r = PipelineIT.run("restore", "--config", f.toString(), "--tenant", "acme", "--to-target", "ftp:x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--to-target: unknown target kind 'ftp' (expected jsonl:PATH, kafka:TOPIC or postgres:JDBC_URL)");
        PipelineIT.Run missing = PipelineIT.run("restore", "--config", f.toString(), "--tenant", "acme");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--to-target is required unless --dry-run is given");
    }

    @Test
    void demoRejectsOutOfRangeArguments() {
        PipelineIT.Run r = PipelineIT.run("demo", "--tenants", "11");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("strongroom demo: --tenants must be between 1 and 10, got 11");
    }

    @Test
    void ingestSourceMustBeKnownAndPostgresNeedsItsSettings() throws Exception {
        Path f = dir.resolve("pg.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\ningest:\n  postgres:\n    user: cdc\n");
        PipelineIT.Run unknown = PipelineIT.run("ingest", "--config", f.toString(), "--source", "mysql");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("--source").contains("mysql").contains("kafka, postgres");
        PipelineIT.Run incomplete = PipelineIT.run("ingest", "--config", f.toString(), "--source", "postgres");
        assertThat(incomplete.code()).isEqualTo(2);
        assertThat(incomplete.err().strip()).isEqualTo("strongroom ingest: config " + f
                + ": ingest.postgres.database is required with --source postgres");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\ningest:\n  postgres:\n    slot: Bad-Slot\n");
        PipelineIT.Run badSlot = PipelineIT.run("ingest", "--config", f.toString());
        assertThat(badSlot.code()).isEqualTo(2);
        assertThat(badSlot.err()).contains("ingest.postgres.slot must be 1-63 of a-z 0-9 _").doesNotContain("Exception");
    }
}
