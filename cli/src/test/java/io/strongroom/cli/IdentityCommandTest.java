package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strongroom identity}: identities made owner-only, trusted, rotated without losing what the old key signed. */
class IdentityCommandTest {
    @TempDir Path dir;

    private Path config(String name, Path identities, Path trust) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, "environment: prod\ns3:\n  bucket: backups\nidentity:\n  directory: " + identities
                + "\n  trust-file: " + trust + "\n");
        return f;
    }

    @Test
    void initMakesOwnerOnlyIdentitiesAndTrustsThemAndNeverReplacesOne() throws Exception {
        Path trust = dir.resolve("trust.json");
        Path cfg = config("c.yaml", dir.resolve("ids"), trust);

        CliRun.Run init = CliRun.run("identity", "init", "--config", cfg.toString(), "--all");

        assertThat(init.code()).as(init.err()).isZero();
        for (Role r : Role.values()) {
            Path file = dir.resolve("ids").resolve(r.name().toLowerCase(Locale.ROOT) + ".identity.json");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            SigningIdentity id = IdentityFile.load(file);
            assertThat(TrustFile.load(trust).keys()).anyMatch(k -> k.keyId().equals(id.keyId()) && k.role().equals(r.name()));
        }
        CliRun.Run again = CliRun.run("identity", "init", "--config", cfg.toString(), "--role", "archiver");
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("archiver.identity.json already exists").contains("rotate");
    }

    @Test
    void rotateKeepsTheOldKeyTrustedAndTrustAddsAnotherHostsPublicEntryOnly() throws Exception {
        Path trust = dir.resolve("trust.json");
        Path cfg = config("c.yaml", dir.resolve("ids"), trust);
        assertThat(CliRun.run("identity", "init", "--config", cfg.toString(), "--role", "archiver").code()).isZero();
        String old = IdentityFile.load(dir.resolve("ids/archiver.identity.json")).keyId();

        CliRun.Run rotate = CliRun.run("identity", "rotate", "--config", cfg.toString(), "--role", "archiver");

        assertThat(rotate.code()).as(rotate.err()).isZero();
        String now = IdentityFile.load(dir.resolve("ids/archiver.identity.json")).keyId();
        assertThat(now).isNotEqualTo(old);
        assertThat(TrustFile.load(trust).keys()).extracting(TrustFile.Key::keyId).contains(old, now);
        assertThat(dir.resolve("ids/archiver.identity.json.retired-" + old)).exists();

        // another host: only the public entry crosses over, and its reader trusts it
        CliRun.Run show = CliRun.run("identity", "show", "--config", cfg.toString(), "--role", "archiver");
        assertThat(show.out()).contains(now).doesNotContain("privateKey").doesNotContain("\"keyset\"");
        Path entry = dir.resolve("archiver.pub.json");
        Files.writeString(entry, show.out());
        Path readerTrust = dir.resolve("reader-trust.json");
        Path reader = config("reader.yaml", dir.resolve("reader-ids"), readerTrust);
        CliRun.Run add = CliRun.run("identity", "trust", "--config", reader.toString(), "--add", entry.toString());
        assertThat(add.code()).as(add.err()).isZero();
        assertThat(TrustFile.load(readerTrust).keys()).singleElement().extracting(TrustFile.Key::keyId).isEqualTo(now);

        CliRun.Run remove = CliRun.run("identity", "trust", "--config", cfg.toString(), "--remove", old);
        assertThat(remove.code()).isZero();
        assertThat(TrustFile.load(trust).keys()).extracting(TrustFile.Key::keyId).doesNotContain(old).contains(now);
    }

    @Test
    void aPastedEntryWhoseIdIsNotItsKeysIsRefused() throws Exception {
        Path trust = dir.resolve("trust.json");
        Path cfg = config("c.yaml", dir.resolve("ids"), trust);
        SigningIdentity a = SigningIdentity.generate(Role.ARCHIVER, "prod");
        SigningIdentity b = SigningIdentity.generate(Role.ARCHIVER, "prod");
        Path entry = dir.resolve("bad.json");
        Files.writeString(entry, TrustFile.entryJson(new TrustFile.Key(a.keyId(), "ARCHIVER", b.publicKeyset(), 1)));

        CliRun.Run add = CliRun.run("identity", "trust", "--config", cfg.toString(), "--add", entry.toString());

        assertThat(add.code()).isEqualTo(2);
        assertThat(add.err()).contains(a.keyId()).contains("is not the id of its public keyset");
        assertThat(trust).doesNotExist();
    }

    @Test
    void aServiceWhoseIdentityIsMissingOrReadableByOthersIsRefusedNamingTheFix() throws Exception {
        Path ids = dir.resolve("ids");
        Path cfg = config("c.yaml", ids, dir.resolve("trust.json"));
        CliRun.Run missing = CliRun.run("archive", "sign-legacy", "--config", cfg.toString(), "--tenant", "acme");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("operator.identity.json does not exist").contains("identity init --role operator");

        assertThat(CliRun.run("identity", "init", "--config", cfg.toString(), "--role", "operator").code()).isZero();
        Files.setPosixFilePermissions(ids.resolve("operator.identity.json"), PosixFilePermissions.fromString("rw-r--r--"));
        CliRun.Run open = CliRun.run("archive", "sign-legacy", "--config", cfg.toString(), "--tenant", "acme");
        assertThat(open.code()).isEqualTo(2);
        assertThat(open.err()).contains("may be read by others").contains("chmod 600");
    }
}
