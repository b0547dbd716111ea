package io.strongroom.qa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.cli.KmsFactory;
import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KmsProviders;
import io.strongroom.crypto.kms.Kmses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend added from outside (a provider on the class path, {@link ThirdPartyKmsProvider}) is selected by
 * {@code kms.type}, configured from its own section with the file's rules, and runs under the CLI's retries, cache and
 * audit: no CLI code names it.
 */
class ThirdPartyKmsProviderTest {
    private static final Duration T = Duration.ofSeconds(10);
    @TempDir Path dir;

    private Path config(String kms) throws Exception {
        return Files.writeString(dir.resolve("strongroom.yaml"), "environment: qa\ns3:\n  bucket: backups\n" + kms);
    }

    @Test
    void aProviderOnTheClassPathIsAKmsTypeAfterStrongroomsOwn() {
        assertThat(KmsProviders.names()).as("whatever the class path's order").containsExactly("local", "pkcs11", "aws-kms", "third-party");
    }

    @Test
    void aThirdPartyBackendIsConfiguredAndUsedThroughTheCli() throws Exception {
        Path keys = dir.resolve("keys");
        StrongroomConfig c = ConfigLoader.load(config("kms:\n  type: third-party\n  third-party:\n    auto-create: true\n"),
                Map.of("STRONGROOM_KMS_THIRD_PARTY_DIRECTORY", keys.toString()));
        assertThat(c.kms().settings(ThirdPartyKmsProvider.Config.class)).isEqualTo(new ThirdPartyKmsProvider.Config(
                keys.toString(), true));

        Path audit = dir.resolve("audit.log");
        byte[] sealed;
        DataKey dek;
        DekContext context = new DekContext("qa", "acme", "s1");
        try (AuditingKms kms = KmsFactory.create(c, "qa", audit)) {
            dek = Kmses.await(kms.generateDek(kms.keyIdFor("acme"), context), T);
            sealed = dek.aead().encrypt("a record".getBytes(StandardCharsets.UTF_8), new byte[0]);
            byte[] opened = Kmses.await(kms.unwrapDek(dek.wrapped(), context), T).decrypt(sealed, new byte[0]);
            assertThat(new String(opened, StandardCharsets.UTF_8)).isEqualTo("a record");
        }
        assertThat(dek.wrapped().keyId()).isEqualTo("local://acme");
        try (var files = Files.list(keys)) {
            assertThat(files).as("the backend kept its keys where its own section said").isNotEmpty();
        }
        assertThat(Files.size(audit)).as("its use was audited").isPositive();
    }

    @Test
    void itsSectionIsCheckedLikeAnyOther() throws Exception {
        assertThat(ConfigLoader.load(config(""), Map.of()).kms().type())
                .as("a deployment that does not use it need not configure it").isEqualTo("local");
        assertThatThrownBy(() -> ConfigLoader.load(config("kms:\n  type: third-party\n  third-party:\n    directory: /x\n    dir: /x\n"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'kms.third-party.dir' at line 8 (known keys here: auto-create, directory)");
        assertThatThrownBy(() -> ConfigLoader.load(config("kms:\n  type: third-party\n"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("kms.third-party.directory is required");
    }
}
