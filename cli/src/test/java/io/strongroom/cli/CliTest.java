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
    void theSandboxCommandsAreAUsageErrorThatSaysWhereTheyAre() {
        for (String command : Main.SANDBOX_COMMANDS) {
            CliRun.Run r = CliRun.run(command, "--events", "5");
            assertThat(r.code()).as(command).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("strongroom: '" + command + "' is not in this jar (the production strongroom.jar "
                    + "holds no embedded Kafka or S3): it is in the sandbox jar, sandbox/target/strongroom-sandbox.jar; run "
                    + "./strongroom " + command + " from a clone of the repository");
        }
        String help = CliRun.run("--help").out();
        assertThat(help).doesNotContainPattern("(?m)^  (demo|local) ")
                .contains("demo and local (embedded Kafka and S3) are in the sandbox jar, not this one:\n"
                        + "sandbox/target/strongroom-sandbox.jar, run by ./strongroom in a clone.");
    }

    @Test
    void anUnknownCommandIsStillPicocliUsageError() {
        CliRun.Run r = CliRun.run("restroe");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unmatched argument at index 0: 'restroe'").contains("Did you mean: strongroom restore")
                .doesNotContain("sandbox");
    }

    @Test
    void missingConfigOptionIsAUsageError() {
        CliRun.Run r = CliRun.run("archiver");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void unreadableConfigIsOneLineAndExitCode2() {
        CliRun.Run r = CliRun.run("verify", "--config", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("strongroom verify: cannot read config file " + dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void configWithUnknownKeyIsOneLineNamingTheKey() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\n  bukket: x\n");
        CliRun.Run r = CliRun.run("encryptor", "--config", f.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("strongroom encryptor: config " + f + ": unknown key 's3.bukket' at line 4")
                .doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void restoreTargetMustBeAKnownKind() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\n");
        CliRun.Run r = CliRun.run("restore", "--config", f.toString(), "--tenant", "acme", "--to-target", "ftp:x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--to-target: unknown target kind 'ftp' (expected jsonl:PATH, kafka:TOPIC or postgres:JDBC_URL)");
        CliRun.Run missing = CliRun.run("restore", "--config", f.toString(), "--tenant", "acme");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--to-target is required unless --dry-run is given");
        CliRun.Run every = CliRun.run("restore", "--config", f.toString(), "--tenant", "acme", "--to-target", "jsonl:x",
                "--checkpoint", dir.resolve("cp").toString(), "--checkpoint-every", "0");
        assertThat(every.code()).isEqualTo(2);
        assertThat(every.err()).contains("--checkpoint-every must be at least 1, got 0").doesNotContain("Exception");
    }

    @Test
    void ingestSourceMustBeKnownAndPostgresNeedsItsSettings() throws Exception {
        Path f = dir.resolve("pg.yaml");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\ningest:\n  postgres:\n    user: cdc\n");
        CliRun.Run unknown = CliRun.run("ingest", "--config", f.toString(), "--source", "mysql");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("--source").contains("mysql").contains("kafka, postgres");
        CliRun.Run incomplete = CliRun.run("ingest", "--config", f.toString(), "--source", "postgres");
        assertThat(incomplete.code()).isEqualTo(2);
        assertThat(incomplete.err().strip()).isEqualTo("strongroom ingest: config " + f
                + ": ingest.postgres.database is required with --source postgres");
        Files.writeString(f, "environment: dev\ns3:\n  bucket: backups\ningest:\n  postgres:\n    slot: Bad-Slot\n");
        CliRun.Run badSlot = CliRun.run("ingest", "--config", f.toString());
        assertThat(badSlot.code()).isEqualTo(2);
        assertThat(badSlot.err()).contains("ingest.postgres.slot must be 1-63 of a-z 0-9 _").doesNotContain("Exception");
    }
}
