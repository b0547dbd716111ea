package io.strongroom.crypto.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An identity whose private keyset is encrypted under the KMS: a copy of the file (a stolen backup of the host) signs
 * nothing without the KMS, and the file is bound to its environment and role.
 */
class WrappedIdentityTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    @TempDir Path dir;

    private LocalKms kms() {
        return LocalKms.open(LocalKms.Options.of(dir.resolve("kms"), "identity-test", "test").withAutoCreate(true)
                .withIterations(1000));
    }

    @Test
    void theFileHoldsNoPrivateKeyAndLoadsOnlyThroughTheKms() throws Exception {
        Path file = dir.resolve("coordinator.identity.json");
        try (LocalKms kms = kms()) {
            SigningIdentity made = IdentityFile.createWrapped(file, Role.COORDINATOR, "prod", kms, TIMEOUT);
            String text = Files.readString(file, StandardCharsets.UTF_8);
            assertThat(text).contains("encryptedKeyset").doesNotContain("\"keyset\" : \"").doesNotContain("privateKey");
            assertThat(IdentityFile.isWrapped(file)).isTrue();

            SigningIdentity loaded = IdentityFile.load(file, kms, TIMEOUT);
            assertThat(loaded.keyId()).isEqualTo(made.keyId());
            TrustFile trust = TrustFile.empty("prod").with(made);
            byte[] signed = Signed.sign(loaded, "chain-heads", "k", "x".getBytes(StandardCharsets.UTF_8));
            assertThat(Signed.open("k", signed, "chain-heads", "k", trust, Set.of(Role.COORDINATOR)).payload())
                    .isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> IdentityFile.load(file)).hasMessageContaining("encrypted under the KMS");
    }

    @Test
    void aWrappedIdentityRelabelledAsAnotherRoleDoesNotDecrypt() throws Exception {
        Path file = dir.resolve("restore.identity.json");
        try (LocalKms kms = kms()) {
            IdentityFile.createWrapped(file, Role.RESTORE, "prod", kms, TIMEOUT);
            Files.writeString(file, Files.readString(file).replace("\"RESTORE\"", "\"OPERATOR\""));

            assertThatThrownBy(() -> IdentityFile.load(file, kms, TIMEOUT)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("does not decrypt");
        }
    }
}
