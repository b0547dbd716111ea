package io.strongroom.encryptor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.OpenSegment;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateBindingTest {
    @TempDir Path kmsDir;

    private static OpenSegment segment(String tenant) {
        return OpenSegment.newBuilder().setSegmentId("s1").setTenant(tenant).setStream("strongroom.changes")
                .setSourceTopic("strongroom.changes").setSourcePartition(3).setKeyId("local://" + tenant).setKeyVersion("1")
                .setWrappedDek(ByteBuffer.wrap(new byte[] {1, 2, 3})).setDekAlgorithm("AES256_GCM").setFirstOffset(10)
                .setLastOffset(12).setRecordCount(3).setPlaintextBytes(300).setOpenedAtMs(1).setMinEventTimeMs(2)
                .setMaxEventTimeMs(3).build();
    }

    private Aead dek() {
        return Kmses.await(TestKms.local(kmsDir, true).generateDek("local://acme", new DekContext("test", "acme", "s1")),
                Duration.ofSeconds(5)).aead();
    }

    @Test
    void aBoundOpenSegmentVerifiesOnlyUnderItsOwnStoreKeyAndUnedited() {
        Aead dek = dek();
        OpenSegment s = StateBinding.bind("test", "acme/3", segment("acme"), dek);
        StateBinding.verify("test", "acme/3", s, dek);

        assertThatThrownBy(() -> StateBinding.verify("test", "globex/3", s, dek)).hasMessageContaining("moved");
        assertThatThrownBy(() -> StateBinding.verify("test", "acme/4", s, dek)).hasMessageContaining("moved");
        assertThatThrownBy(() -> StateBinding.verify("prod", "acme/3", s, dek)).hasMessageContaining("does not authenticate");
        OpenSegment edited = OpenSegment.newBuilder(s).setRecordCount(2).build();
        assertThatThrownBy(() -> StateBinding.verify("test", "acme/3", edited, dek)).hasMessageContaining("does not authenticate");
        OpenSegment shifted = OpenSegment.newBuilder(s).setFirstSequence(1).build();
        assertThatThrownBy(() -> StateBinding.verify("test", "acme/3", shifted, dek)).hasMessageContaining("does not authenticate");
    }

    @Test
    void aHeldStreamIsBoundToTheTenantItsStoreKeyNames() {
        Aead dek = dek();
        OpenSegment held = StateBinding.bind("test", "acme/3!held", segment(SystemTenants.QUARANTINE), dek);
        StateBinding.verify("test", "acme/3!held", held, dek);
        assertThatThrownBy(() -> StateBinding.verify("test", "globex/3!held", held, dek))
                .isInstanceOf(StateBinding.TamperedStateException.class).hasMessageContaining("globex/3!held");
        assertThat(StateBinding.owner("acme/3!held")).isEqualTo("acme");
    }

    @Test
    void stateWithoutABindingIsRefusedNamingTheUpgradeRule() {
        assertThatThrownBy(() -> StateBinding.verify("test", "acme/3", segment("acme"), dek()))
                .isInstanceOf(StateBinding.TamperedStateException.class)
                .hasMessageContaining("before state format 2").hasMessageContaining("Drain the old encryptor");
    }

    @Test
    void bufferedRecordsAreBoundToEnvironmentTenantTopicAndPartition() {
        byte[] aad = StateBinding.recordContext("test", "acme", "strongroom.changes", 3, "s1", 0);
        assertThat(aad).isNotEqualTo(StateBinding.recordContext("prod", "acme", "strongroom.changes", 3, "s1", 0))
                .isNotEqualTo(StateBinding.recordContext("test", "globex", "strongroom.changes", 3, "s1", 0))
                .isNotEqualTo(StateBinding.recordContext("test", "acme", "other", 3, "s1", 0))
                .isNotEqualTo(StateBinding.recordContext("test", "acme", "strongroom.changes", 4, "s1", 0))
                .isNotEqualTo(StateBinding.recordContext("test", "acme", "strongroom.changes", 3, "s1", 1));
    }

    @Test
    void fieldBoundariesAreEncodedSoShiftingCharactersBetweenFieldsChangesTheAssociatedData() {
        assertThat(StateBinding.recordContext("ab", "c", "t", 0, "s", 0))
                .isNotEqualTo(StateBinding.recordContext("a", "bc", "t", 0, "s", 0));
        assertThat(StateBinding.recordContext("e", "acme", "t1", 0, "s", 0))
                .isNotEqualTo(StateBinding.recordContext("e", "acmet", "1", 0, "s", 0));
        Aead dek = dek();
        OpenSegment s = StateBinding.bind("test", "acme/3", segment("acme"), dek);
        OpenSegment shifted = OpenSegment.newBuilder(s).setStream("strongroom.change").setSourceTopic("sstrongroom.changes").build();
        assertThatThrownBy(() -> StateBinding.verify("test", "acme/3", shifted, dek)).hasMessageContaining("does not authenticate");
    }

    @Test
    void recordContextLayoutIsFixedBecauseBufferedRecordsAreBoundToIt() {
        // "SRREC2" | str env | str tenant | str topic | i32 partition | str segment | i64 sequence: changing it orphans state
        assertThat(HexFormat.of().formatHex(StateBinding.recordContext("e", "t", "x", 3, "sé", 258)))
                .isEqualTo("535252454332" + "00000001" + "65" + "00000001" + "74" + "00000001" + "78" + "00000003"
                        + "00000003" + "73c3a9" + "0000000000000102");
    }

    @Test
    void aSegmentNamingAnotherKeyIsRefusedBeforeItsDataKeyIsUnwrapped() {
        OpenSegment s = OpenSegment.newBuilder(segment("acme")).setBinding(ByteBuffer.wrap(new byte[16])).build();
        StateBinding.checkPlace("acme/3", s, "local://acme");
        assertThatThrownBy(() -> StateBinding.checkPlace("acme/3", s, "local://globex"))
                .isInstanceOf(StateBinding.TamperedStateException.class).hasMessageContaining("names key local://acme");
        assertThatThrownBy(() -> StateBinding.checkPlace("globex/3", s, "local://acme")).hasMessageContaining("moved");
    }
}
