package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.crypto.kms.pkcs11.Pkcs11KmsConfig;
import io.strongroom.crypto.kms.pkcs11.Pkcs11KmsProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.SecretKey;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KMS contract against a real PKCS#11 token (SoftHSM2), opened through its provider ({@code kms.type: pkcs11}), plus
 * what is specific to PKCS#11.
 */
class Pkcs11KmsContractIT extends KmsContract {
    @TempDir static Path registry;
    static int slot;
    static Throwable wrongPinFailure;

    @BeforeAll
    static void token() {
        slot = SoftHsm.token();
        // PKCS#11 login state belongs to the process: once any instance in this JVM has logged in,
        // the token accepts further sessions without checking a PIN. So try the wrong PIN first.
        try {
            Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, slot, "0000".toCharArray(), registry, false));
        } catch (Throwable e) {
            wrongPinFailure = e;
        }
    }

    @Override
    protected ManagedKms open(boolean autoCreate) {
        return provided("pkcs11", new Pkcs11KmsConfig(SoftHsm.LIBRARY, slot, null, registry.toString(), autoCreate),
                new KmsContext("test", Map.of(Pkcs11KmsProvider.PIN_VARIABLE, SoftHsm.PIN)));
    }

    @Test
    void kekIsGeneratedOnTheTokenAndReportedNonExtractable() throws Exception {
        Pkcs11Kms pkcs11 = (Pkcs11Kms) kms;
        Kmses.await(kms.createKek(tenant), T);
        SecretKey key = pkcs11.tokenKey(tenant, "1");
        assertThat(key.getEncoded()).as("sensitive key bytes are not exported").isNull();
        assertThat(key.toString()).contains("token object").contains("sensitive").contains("unextractable");
    }

    @Test
    void aDestroyedVersionLeavesNoKeyOnTheToken() throws Exception {
        int before = Pkcs11Tool.secretKeys().size(); // the token is shared by this JVM's tests, which run one at a time
        String keyId = Kmses.await(kms.createKek(tenant), T);
        Kmses.await(kms.rotate(keyId), T);
        Kmses.await(kms.disable(keyId, "1"), T);
        Kmses.await(kms.destroy(keyId, "1"), T);

        List<Pkcs11Tool.SecretKey> after = Pkcs11Tool.secretKeys();
        assertThat(after.size() - before)
                .as("secret keys added to the token (pkcs11-tool) by create, rotate, destroy of v1: one per live version; "
                        + "the token now holds %d, %d of them unlabelled", after.size(),
                        after.stream().filter(k -> k.label().isEmpty()).count())
                .isEqualTo(1);
        assertThat(after).extracting(Pkcs11Tool.SecretKey::label).filteredOn(l -> l.contains(":" + tenant + ":"))
                .containsExactly("strongroom:" + tenant + ":v2");
    }

    @Test
    void theStoredKeyIsSensitiveAndNeverExtractableOnTheToken() throws Exception {
        Kmses.await(kms.createKek(tenant), T);
        assertThat(Pkcs11Tool.secretKeys()).filteredOn(k -> k.label().equals("strongroom:" + tenant + ":v1"))
                .singleElement()
                .satisfies(k -> assertThat(k.aes()).as(k.header()).isTrue())
                .extracting(k -> List.of(k.access().split(",\\s*")))
                .asInstanceOf(InstanceOfAssertFactories.LIST)
                .contains("sensitive", "always sensitive", "never extractable", "local");
    }

    @Test
    void orphansAreTheStrongroomTokenKeysNoLiveVersionNamesAndOnlyTheyAreDestroyed() throws Exception {
        Pkcs11Kms pkcs11 = (Pkcs11Kms) kms;
        String keyId = Kmses.await(kms.createKek(tenant), T);
        Kmses.await(kms.rotate(keyId), T);
        Kmses.await(kms.disable(keyId, "1"), T);
        Kmses.await(kms.destroy(keyId, "1"), T);
        Set<Long> earlier = pkcs11.orphans().stream().map(Pkcs11Kms.Orphan::handle).collect(Collectors.toSet());
        String ghost = "ghost" + tenant;
        SoftHsm.storeKey("strongroom:" + tenant + ":v7", true); // the old way: an unlabelled original too
        SoftHsm.storeKey("strongroom:" + tenant + ":v1", false); // a destroyed version's label
        SoftHsm.storeKey("strongroom:" + ghost + ":v1", true);
        SoftHsm.storeKey("other-app:" + tenant, false); // not Strongroom's
        int before = Pkcs11Tool.secretKeys().size();

        List<Pkcs11Kms.Orphan> orphans = pkcs11.orphans().stream().filter(o -> !earlier.contains(o.handle())).toList();
        assertThat(orphans).extracting(Pkcs11Kms.Orphan::label).containsExactlyInAnyOrder("", "",
                "strongroom:" + tenant + ":v7", "strongroom:" + tenant + ":v1", "strongroom:" + ghost + ":v1");
        assertThat(orphans).filteredOn(o -> o.label().endsWith(":v7")).singleElement()
                .extracting(Pkcs11Kms.Orphan::reason).isEqualTo("the registry names no version 7 of tenant " + tenant);
        assertThat(orphans).filteredOn(o -> o.label().equals("strongroom:" + tenant + ":v1")).singleElement()
                .extracting(Pkcs11Kms.Orphan::reason).isEqualTo("version 1 of tenant " + tenant + " is destroyed in the registry");
        assertThat(orphans).filteredOn(o -> o.label().equals("strongroom:" + ghost + ":v1")).singleElement()
                .extracting(Pkcs11Kms.Orphan::reason).isEqualTo("the registry names no version 1 of tenant " + ghost);

        orphans.forEach(pkcs11::destroyOrphan);

        List<Pkcs11Tool.SecretKey> after = Pkcs11Tool.secretKeys();
        assertThat(before - after.size()).as("objects destroyed, counted by pkcs11-tool").isEqualTo(5);
        assertThat(after).extracting(Pkcs11Tool.SecretKey::label).filteredOn(l -> l.contains(tenant))
                .containsExactlyInAnyOrder("strongroom:" + tenant + ":v2", "other-app:" + tenant);
        assertThat(pkcs11.orphans()).extracting(Pkcs11Kms.Orphan::handle).doesNotContainAnyElementsOf(
                orphans.stream().map(Pkcs11Kms.Orphan::handle).toList());
        Kmses.await(kms.generateDek(keyId, new DekContext("test", tenant, "s1")), T); // v2 still works
    }

    @Test
    void anOrphanWhoseVersionIsLiveAgainIsNotDestroyed() throws Exception {
        Pkcs11Kms pkcs11 = (Pkcs11Kms) kms;
        Kmses.await(kms.createKek(tenant), T);
        Pkcs11Kms.Orphan stale = new Pkcs11Kms.Orphan(0, "strongroom:" + tenant + ":v1", tenant, "1", "listed before v1 was made");
        assertThatThrownBy(() -> pkcs11.destroyOrphan(stale)).isInstanceOf(KmsException.class)
                .hasMessage("strongroom:" + tenant + ":v1 names version 1 of tenant " + tenant + ", now PRIMARY; not destroyed");
        assertThat(Pkcs11Tool.secretKeys()).extracting(Pkcs11Tool.SecretKey::label).contains("strongroom:" + tenant + ":v1");
    }

    @Test
    void wrongPinFailsWithAClearMessage() {
        assertThat(wrongPinFailure)
                .isInstanceOf(KmsException.class)
                .hasMessage("PKCS#11 login to " + SoftHsm.LIBRARY + " slot index " + slot + " failed: wrong PIN");
    }

    @Test
    void missingModuleIsNamed() {
        assertThatThrownBy(() -> Pkcs11Kms.open(new Pkcs11Kms.Options("/nope/libpkcs11.so", 0, "1".toCharArray(), registry, false)))
                .isInstanceOf(KmsException.class).hasMessage("PKCS#11 module not found: /nope/libpkcs11.so");
    }
}
