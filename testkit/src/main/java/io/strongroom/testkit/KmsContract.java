package io.strongroom.testkit;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KeyDestroyedException;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.KmsProviders;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every KMS backend must have, data plane and key administration. A backend's test extends this
 * and says how to open a fresh KMS, through its {@link KmsProvider} as a deployment does ({@link #provided}); every
 * test uses its own tenant, so backends may share state across tests.
 */
public abstract class KmsContract {
    protected static final Duration T = Duration.ofSeconds(30);
    private static final byte[] SECRET = "the plaintext".getBytes(StandardCharsets.UTF_8);

    protected ManagedKms kms;
    protected String tenant;

    /** A KMS of the backend under test; {@code autoCreate} as in the local backend. */
    protected abstract ManagedKms open(boolean autoCreate) throws Exception;

    /**
     * The backend that {@code kms.type} {@code type} selects, found by {@link ServiceLoader} and built from
     * {@code config} as a deployment builds it.
     *
     * @throws AssertionError if no provider has that name, or its config type is not {@code config}'s
     */
    protected static <C> ManagedKms provided(String type, C config, KmsContext context) {
        return provider(type, config).create(config, context);
    }

    /** The provider named {@code type}, checked to bind {@code config}'s type. */
    @SuppressWarnings("unchecked")
    protected static <C> KmsProvider<C> provider(String type, C config) {
        assertThat(KmsProviders.names()).as("KMS providers found by ServiceLoader").contains(type);
        KmsProvider<?> provider = KmsProviders.named(type);
        assertThat(provider.configType()).as("config type of KMS provider " + type).isEqualTo(config.getClass());
        return (KmsProvider<C>) provider;
    }

    /** Whether {@link ManagedKms#destroy} destroys at once (AWS KMS can only schedule deletion, 7 days or more). */
    protected boolean destroysImmediately() {
        return true;
    }

    @BeforeEach
    void openKms() throws Exception {
        kms = open(false);
        tenant = "t" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void closeKms() {
        if (kms != null) {
            kms.close();
        }
    }

    private DekContext ctx(String segment) {
        return new DekContext("test", tenant, segment);
    }

    private byte[] seal(DataKey dek) throws Exception {
        return dek.aead().encrypt(SECRET, new byte[0]);
    }

    @Test
    void generatedKeyRoundTripsThroughWrapAndUnwrap() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey dek = await(kms.generateDek(keyId, ctx("s1")), T);
        byte[] ct = seal(dek);

        Aead unwrapped = await(kms.unwrapDek(dek.wrapped(), ctx("s1")), T);
        assertThat(unwrapped.decrypt(ct, new byte[0])).isEqualTo(SECRET);
        assertThat(dek.wrapped().keyId()).isEqualTo(keyId);
        assertThat(dek.wrapped().keyVersion()).isEqualTo("1");
        assertThat(new String(dek.wrapped().bytes(), StandardCharsets.ISO_8859_1)).doesNotContain(tenant);
    }

    @Test
    void aDataKeyRewrappedUnderTheNewPrimaryStillDecryptsWhatItEncryptedAndStaysBoundToItsContext() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey dek = await(kms.generateDek(keyId, ctx("s1")), T);
        byte[] ciphertext = dek.aead().encrypt("body".getBytes(StandardCharsets.UTF_8), new byte[0]);
        KeyVersion next = await(kms.rotate(keyId), T);

        var keyset = await(kms.unwrapDekKeyset(dek.wrapped(), ctx("s1")), T);
        WrappedDek rewrapped = await(kms.wrapDek(keyId, keyset, ctx("s1")), T);
        assertThat(rewrapped.keyVersion()).isEqualTo(next.version()).isNotEqualTo(dek.wrapped().keyVersion());
        assertThat(rewrapped.bytes()).isNotEqualTo(dek.wrapped().bytes());
        Aead again = await(kms.unwrapDek(rewrapped, ctx("s1")), T);
        assertThat(new String(again.decrypt(ciphertext, new byte[0]), StandardCharsets.UTF_8)).isEqualTo("body");
        assertThatThrownBy(() -> await(kms.unwrapDek(rewrapped, ctx("s2")), T)).isInstanceOf(KmsException.class);
        assertThatThrownBy(() -> await(kms.unwrapDekKeyset(dek.wrapped(), ctx("s2")), T)).isInstanceOf(KmsException.class);
    }

    @Test
    void eachDataKeyIsFresh() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey a = await(kms.generateDek(keyId, ctx("s1")), T);
        DataKey b = await(kms.generateDek(keyId, ctx("s1")), T);
        byte[] ct = seal(a);
        assertThatThrownBy(() -> b.aead().decrypt(ct, new byte[0])).isInstanceOf(GeneralSecurityException.class);
    }

    @Test
    void wrappedKeyIsBoundToEnvironmentTenantAndSegment() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        WrappedDek w = await(kms.generateDek(keyId, ctx("s1")), T).wrapped();
        for (DekContext other : List.of(new DekContext("prod", tenant, "s1"), new DekContext("test", "other", "s1"), ctx("s2"))) {
            assertThatThrownBy(() -> await(kms.unwrapDek(w, other), T)).as("context %s", other)
                    .isInstanceOf(KmsException.class).hasMessageContaining("does not authenticate");
        }
    }

    @Test
    void everyFlippedByteOfAWrappedKeyFails() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        WrappedDek w = await(kms.generateDek(keyId, ctx("s1")), T).wrapped();
        for (int i = 0; i < w.bytes().length; i++) {
            byte[] bytes = w.bytes().clone();
            bytes[i] ^= 0x01;
            WrappedDek flipped = new WrappedDek(w.keyId(), w.keyVersion(), w.algorithm(), bytes);
            assertThatThrownBy(() -> await(kms.unwrapDek(flipped, ctx("s1")), T)).as("byte %d", i)
                    .isInstanceOf(KmsException.class);
        }
    }

    @Test
    void errorsNeverCarryKeyMaterial() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        WrappedDek w = await(kms.generateDek(keyId, ctx("s1")), T).wrapped();
        byte[] bytes = w.bytes().clone();
        bytes[bytes.length / 2] ^= 0x01;
        Throwable error = Assertions.catchThrowable(() -> await(kms.unwrapDek(
                new WrappedDek(w.keyId(), w.keyVersion(), w.algorithm(), bytes), ctx("s1")), T));
        String text = error.toString() + (error.getCause() == null ? "" : error.getCause().toString());
        assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(w.bytes()).substring(0, 16))
                .doesNotContain(HexFormat.of().formatHex(w.bytes()).substring(0, 16));
        assertThat(w.toString()).doesNotContain(Base64.getEncoder().encodeToString(w.bytes()).substring(0, 8))
                .contains(w.bytes().length + " bytes");
    }

    @Test
    void unknownKeyFailsClosed() {
        assertThatThrownBy(() -> await(kms.generateDek(kms.keyIdFor(tenant), ctx("s1")), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining(tenant);
        assertThatThrownBy(() -> await(kms.describe(kms.keyIdFor(tenant)), T)).isInstanceOf(UnknownKeyException.class);
    }

    @Test
    void askingWhetherATenantHasAKeyCreatesNone() throws Exception {
        String keyId = kms.keyIdFor(tenant);
        assertThat(Kmses.hasKek(kms, keyId, T)).as("no key yet").isFalse();
        assertThat(Kmses.hasKek(kms, keyId, T)).as("and asking made none").isFalse();
        await(kms.createKek(tenant), T);
        assertThat(Kmses.hasKek(kms, keyId, T)).isTrue();
    }

    @Test
    void createIsIdempotent() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        assertThat(await(kms.createKek(tenant), T)).isEqualTo(keyId);
        assertThat(await(kms.describe(keyId), T)).singleElement().extracting(KeyVersion::state).isEqualTo(KeyState.PRIMARY);
    }

    @Test
    void rotationMakesANewPrimaryAndOldKeysStillUnwrap() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey old = await(kms.generateDek(keyId, ctx("s1")), T);
        byte[] ct = seal(old);

        KeyVersion v2 = await(kms.rotate(keyId), T);
        DataKey fresh = await(kms.generateDek(keyId, ctx("s2")), T);

        assertThat(v2.version()).isEqualTo("2");
        assertThat(fresh.wrapped().keyVersion()).isEqualTo("2");
        assertThat(await(kms.unwrapDek(old.wrapped(), ctx("s1")), T).decrypt(ct, new byte[0])).isEqualTo(SECRET);
        assertThat(await(kms.describe(keyId), T)).extracting(KeyVersion::state).containsExactly(KeyState.ENABLED, KeyState.PRIMARY);
    }

    @Test
    void disabledVersionRefusesToUnwrapUntilEnabledAgain() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey old = await(kms.generateDek(keyId, ctx("s1")), T);
        await(kms.rotate(keyId), T);

        await(kms.disable(keyId, "1"), T);
        assertThatThrownBy(() -> await(kms.unwrapDek(old.wrapped(), ctx("s1")), T))
                .isInstanceOf(KeyDisabledException.class).hasMessageContaining(keyId).hasMessageContaining("version 1");

        await(kms.enable(keyId, "1"), T);
        assertThat(await(kms.unwrapDek(old.wrapped(), ctx("s1")), T).decrypt(seal(old), new byte[0])).isEqualTo(SECRET);
    }

    @Test
    void destroyedVersionFailsNamingKeyVersionAndTime() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        DataKey old = await(kms.generateDek(keyId, ctx("s1")), T);
        await(kms.rotate(keyId), T);
        await(kms.scheduleDestroy(keyId, "1", Instant.now().plusSeconds(3600)), T);
        assertThatThrownBy(() -> await(kms.unwrapDek(old.wrapped(), ctx("s1")), T))
                .isInstanceOf(KeyDisabledException.class).hasMessageContaining("scheduled for destruction");

        KeyVersion destroyed = await(kms.destroy(keyId, "1"), T);
        if (!destroysImmediately()) {
            assertThat(destroyed.state()).isEqualTo(KeyState.DESTROY_SCHEDULED);
            assertThatThrownBy(() -> await(kms.unwrapDek(old.wrapped(), ctx("s1")), T))
                    .isInstanceOf(KeyDisabledException.class).hasMessageContaining(keyId).hasMessageContaining("version 1");
            return;
        }
        assertThat(destroyed.state()).isEqualTo(KeyState.DESTROYED);
        assertThatThrownBy(() -> await(kms.unwrapDek(old.wrapped(), ctx("s1")), T))
                .isInstanceOf(KeyDestroyedException.class)
                .hasMessageContaining(keyId).hasMessageContaining("version 1").hasMessageContaining("destroyed at");
        assertThatThrownBy(() -> await(kms.enable(keyId, "1"), T)).isInstanceOf(KeyDestroyedException.class);
    }

    @Test
    void primaryVersionCanBeNeitherDisabledNorDestroyed() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        assertThatThrownBy(() -> await(kms.disable(keyId, "1"), T)).hasMessageContaining("primary").hasMessageContaining("rotate first");
        assertThatThrownBy(() -> await(kms.destroy(keyId, "1"), T)).hasMessageContaining("primary");
        assertThat(await(kms.generateDek(keyId, ctx("s1")), T).wrapped().keyVersion()).isEqualTo("1");
    }

    @Test
    void unknownVersionIsAnUnknownKey() throws Exception {
        String keyId = await(kms.createKek(tenant), T);
        WrappedDek w = await(kms.generateDek(keyId, ctx("s1")), T).wrapped();
        assertThatThrownBy(() -> await(kms.unwrapDek(new WrappedDek(keyId, "9", w.algorithm(), w.bytes()), ctx("s1")), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("no version 9");
    }
}
