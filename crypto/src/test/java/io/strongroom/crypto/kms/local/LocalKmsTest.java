package io.strongroom.crypto.kms.local;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKmsTest {
    private static final Duration T = Duration.ofSeconds(5);
    private static final byte[] CTX = "env|acme|seg-1".getBytes(StandardCharsets.UTF_8);
    @TempDir Path dir;

    @Test
    void dataKeyUnwrapsToTheSameKeyInAnotherProcessView() throws Exception {
        LocalKms kms = LocalKms.open(dir, false);
        String keyId = await(kms.createKek("acme"), T);
        DataKey dek = await(kms.generateDek(keyId, CTX), T);
        byte[] ct = dek.aead().encrypt("secret".getBytes(StandardCharsets.UTF_8), new byte[0]);

        Aead unwrapped = await(LocalKms.open(dir, false).unwrapDek(dek.wrapped(), CTX), T);
        assertThat(new String(unwrapped.decrypt(ct, new byte[0]), StandardCharsets.UTF_8)).isEqualTo("secret");
        assertThat(dek.wrapped().keyVersion()).isEqualTo(await(kms.describe(keyId), T).get(0).version());
    }

    @Test
    void wrappedDekIsBoundToItsContext() {
        LocalKms kms = LocalKms.open(dir, true);
        DataKey dek = await(kms.generateDek("local://acme", CTX), T);
        assertThatThrownBy(() -> await(kms.unwrapDek(dek.wrapped(), "env|acme|seg-2".getBytes(StandardCharsets.UTF_8)), T))
                .isInstanceOf(KmsException.class).hasMessageContaining("does not authenticate");
    }

    @Test
    void corruptedWrappedDekFails() {
        LocalKms kms = LocalKms.open(dir, true);
        WrappedDek w = await(kms.generateDek("local://acme", CTX), T).wrapped();
        byte[] bytes = w.bytes().clone();
        bytes[bytes.length - 1] ^= 1;
        assertThatThrownBy(() -> await(kms.unwrapDek(new WrappedDek(w.keyId(), w.keyVersion(), w.algorithm(), bytes), CTX), T))
                .isInstanceOf(KmsException.class);
    }

    @Test
    void unknownTenantFailsClosedWithoutAutoCreate() {
        LocalKms kms = LocalKms.open(dir, false);
        assertThatThrownBy(() -> await(kms.generateDek("local://nobody", CTX), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("tenant 'nobody'");
        assertThat(dir.resolve("nobody.json")).doesNotExist();
    }

    @Test
    void unknownVersionAndForeignSchemeAreUnknownKeys() {
        LocalKms kms = LocalKms.open(dir, true);
        WrappedDek w = await(kms.generateDek("local://acme", CTX), T).wrapped();
        assertThatThrownBy(() -> await(kms.unwrapDek(new WrappedDek(w.keyId(), "12345", w.algorithm(), w.bytes()), CTX), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("no version 12345");
        assertThatThrownBy(() -> await(kms.generateDek("aws-kms://arn", CTX), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("not a local KMS key id");
        assertThatThrownBy(() -> await(kms.generateDek("local://../etc", CTX), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("invalid tenant");
    }

    @Test
    void keysetFileIsPrivateAndCreateIsIdempotent() throws Exception {
        LocalKms kms = LocalKms.open(dir, false);
        await(kms.createKek("acme"), T);
        String first = Files.readString(dir.resolve("acme.json"));
        await(LocalKms.open(dir, false).createKek("acme"), T);
        assertThat(Files.readString(dir.resolve("acme.json"))).isEqualTo(first);
        assertThat(Files.getPosixFilePermissions(dir.resolve("acme.json")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Set.of(dir.toFile().list())).containsExactly("acme.json");
    }
}
