package io.strongroom.crypto.kms.local;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
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
    void anEditedRegistryFileIsRefused() throws Exception {
        LocalKms kms = open("correct horse", "dev");
        DataKey dek = await(kms.generateDek("local://acme", CTX), T);
        await(kms.rotate("local://acme"), T);
        Path file = dir.resolve("acme.kek.json");
        var json = new ObjectMapper();
        var entry = (ObjectNode) json.readTree(file.toFile());
        var v1 = (ObjectNode) entry.withArray("versions").get(0);
        v1.put("state", "DESTROY_SCHEDULED").put("destroyAtMs", System.currentTimeMillis() - 60_000);
        json.writeValue(file.toFile(), entry);

        for (LocalKms reader : new LocalKms[] {kms, open("correct horse", "dev")}) { // the writer's cache and a fresh process
            assertThatThrownBy(() -> await(reader.describe("local://acme"), T))
                    .as("an edited registry is refused, naming the file").isInstanceOf(KmsException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("does not authenticate");
            assertThatThrownBy(() -> await(reader.unwrapDek(dek.wrapped(), CTX), T)).isInstanceOf(KmsException.class)
                    .hasMessageContaining(file.toString());
            assertThatThrownBy(() -> await(reader.destroy("local://acme", "1"), T)).isInstanceOf(KmsException.class)
                    .hasMessageContaining(file.toString());
        }
    }

    @Test
    void aRegistryFileCopiedFromAnotherTenantIsRefused() throws Exception {
        LocalKms kms = open("correct horse", "dev");
        await(kms.createKek("acme"), T);
        await(kms.createKek("globex"), T);
        String acme = Files.readString(dir.resolve("acme.kek.json"));
        Files.writeString(dir.resolve("globex.kek.json"), acme.replace("local://acme", "local://globex").replace("\"acme\"", "\"globex\""));

        assertThatThrownBy(() -> await(open("correct horse", "dev").describe("local://globex"), T))
                .isInstanceOf(KmsException.class).hasMessageContaining(dir.resolve("globex.kek.json").toString())
                .hasMessageContaining("does not authenticate");
    }

    @Test
    void anUnauthenticatedRegistryFileIsRefusedUntilAKeyHolderSealsIt() throws Exception {
        LocalKms kms = open("correct horse", "dev");
        DataKey dek = await(kms.generateDek("local://acme", CTX), T);
        Path file = dir.resolve("acme.kek.json");
        var json = new ObjectMapper();
        var entry = (ObjectNode) json.readTree(file.toFile());
        entry.remove("mac"); // as written before registries were authenticated
        json.writeValue(file.toFile(), entry);

        assertThatThrownBy(() -> await(open("correct horse", "dev").describe("local://acme"), T))
                .isInstanceOf(KmsException.class).hasMessageContaining(file.toString()).hasMessageContaining("not authenticated")
                .hasMessageContaining("strongroom keys seal-registry");
        assertThat(open("correct horse", "dev").sealRegistry()).containsExactly("acme");
        assertThat(open("correct horse", "dev").sealRegistry()).as("once").isEmpty();
        assertThat(await(open("correct horse", "dev").unwrapDek(dek.wrapped(), CTX), T)).isNotNull();
        assertThat(LocalKms.open(LocalKms.Options.of(dir.resolve("other"), "correct horse", "dev").withIterations(1000))
                .sealRegistry()).as("an empty directory: nothing to seal").isEmpty();
    }

    @Test
    void shortPassphraseIsRejected() {
        assertThatThrownBy(() -> open("short", "dev")).hasMessageContaining("at least 8 characters");
    }
}
