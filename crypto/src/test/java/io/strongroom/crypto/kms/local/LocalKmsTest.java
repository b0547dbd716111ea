package io.strongroom.crypto.kms.local;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KmsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is specific to the local backend; the shared behaviour is in the testkit's KMS contract suite. */
class LocalKmsTest {
    private static final Duration T = Duration.ofSeconds(5);
    private static final DekContext CTX = new DekContext("dev", "acme", "seg-1");
    @TempDir Path dir;

    private LocalKms open(String passphrase, String environment) {
        return LocalKms.open(LocalKms.Options.of(dir, passphrase, environment).withAutoCreate(true).withIterations(1000));
    }

    @Test
    void anotherOpenWithTheSamePassphraseUnwrapsAndAWrongPassphraseIsRefusedClearly() throws Exception {
        DataKey dek = await(open("correct horse", "dev").generateDek("local://acme", CTX), T);
        byte[] ct = dek.aead().encrypt("secret".getBytes(StandardCharsets.UTF_8), new byte[0]);

        var again = await(open("correct horse", "dev").unwrapDek(dek.wrapped(), CTX), T);
        assertThat(again.decrypt(ct, new byte[0])).isEqualTo("secret".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> open("wrong horse", "dev"))
                .isInstanceOf(KmsException.class).hasMessage("wrong passphrase for local KMS directory " + dir);
    }

    @Test
    void refusesProductionUnlessForced() {
        assertThatThrownBy(() -> open("correct horse", "prod"))
                .isInstanceOf(KmsException.class).hasMessageContaining("refuses environment 'prod'")
                .hasMessageContaining("kms.local.allow-in-prod");
        LocalKms forced = LocalKms.open(new LocalKms.Options(dir, "correct horse".toCharArray(), true, "prod", true, 1000));
        assertThat(forced.keyIdFor("acme")).isEqualTo("local://acme");
        assertThat(LocalKms.isProduction("eu-prod")).isTrue();
        assertThat(LocalKms.isProduction("staging")).isFalse();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} -> {1}")
    @org.junit.jupiter.params.provider.CsvSource({
        "prod, true", "production, true", "PROD, true", "prd, true", "prod1, true", "prod-2, true", "production-eu, true",
        "eu-prod, true", "eu-prod-2, true", "eu_prod_2, true", "eu.prod.2, true", "us-east-prd3, true", "production2, true",
        "live-prod, true",
        "dev, false", "staging, false", "product-demo, false", "preprod, false", "nonprod, false", "prodigy, false",
        "reproduce, false", "qa-1, false", "test, false", "p-rod, false", "products, false"})
    void productionEnvironmentNamesAreRecognised(String environment, boolean production) {
        assertThat(LocalKms.isProduction(environment)).isEqualTo(production);
    }

    @Test
    void keyFilesArePrivateAndHoldNoKeyInTheClear() throws Exception {
        await(open("correct horse", "dev").createKek("acme"), T);
        for (String name : new String[] {"master.json", "acme.kek.json"}) {
            assertThat(Files.getPosixFilePermissions(dir.resolve(name)))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
        String registry = Files.readString(dir.resolve("acme.kek.json"));
        assertThat(registry).contains("\"material\"").doesNotContain("keyValue").doesNotContain("AesGcmKey");
    }

    @Test
    void shortPassphraseIsRejected() {
        assertThatThrownBy(() -> open("short", "dev")).hasMessageContaining("at least 8 characters");
    }
}
