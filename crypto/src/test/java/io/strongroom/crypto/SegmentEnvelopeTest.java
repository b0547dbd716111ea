package io.strongroom.crypto;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KeyDestroyedException;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Segments sealed with a KMS-wrapped data key, opened with nothing but their bytes and the KMS. */
class SegmentEnvelopeTest {
    private static final Duration T = Duration.ofSeconds(5);
    @TempDir Path dir;
    private LocalKms kms;
    private SegmentOpener opener;

    @BeforeEach
    void setUp() {
        kms = LocalKms.open(LocalKms.Options.of(dir, "envelope-test", "test").withAutoCreate(true).withIterations(1000));
        opener = new SegmentOpener(kms, T);
    }

    private byte[] seal(String tenant, long first, long last) {
        String id = UUID.randomUUID().toString();
        DataKey dek = await(kms.generateDek("local://" + tenant, new DekContext("test", tenant, id)), T);
        List<byte[]> records = new ArrayList<>();
        for (long o = first; o <= last; o++) {
            records.add(("{\"offset\":" + o + "}").getBytes(StandardCharsets.UTF_8));
        }
        SegmentHeader.Builder h = SegmentCryptoTest.header(id).setTenant(tenant).setEnvironment("test")
                .setFirstOffset(first).setLastOffset(last).setRecordCount(records.size())
                .setKeyId(dek.wrapped().keyId()).setKeyVersion(dek.wrapped().keyVersion())
                .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes())).setDekAlgorithm(dek.wrapped().algorithm());
        return SegmentCrypto.seal(h, records, dek.aead()).toBytes();
    }

    @Test
    void aSegmentOpensWithItsDataKeyRewrappedElsewhereButNotWithAnotherSegmentsKey() {
        Segment s = Segment.parse("obj", seal("acme", 0, 3));
        Segment other = Segment.parse("other", seal("acme", 4, 7));
        DekContext context = new DekContext("test", "acme", s.header().getSegmentId());
        await(kms.rotate("local://acme"), T);
        var fresh = await(kms.wrapDek("local://acme", await(kms.unwrapDekKeyset(s.wrappedDek(), context), T), context), T);
        assertThat(fresh.keyVersion()).isEqualTo("2");

        Segment rekeyed = s.withKey(fresh);
        assertThat(rekeyed.header().getKeyVersion()).isEqualTo("2");
        assertThat(rekeyed.toBytes()).as("the stored frame is not changed").isSameAs(s.toBytes());
        await(kms.disable("local://acme", "1"), T);
        assertThat(opener.open("obj", rekeyed)).hasSize(4);
        assertThatThrownBy(() -> opener.open("obj", s)).as("version 1 is disabled").isInstanceOf(KmsException.class);
        // a manifest naming another segment's data key (bound to that segment's id) opens nothing
        assertThatThrownBy(() -> opener.open("obj", s.withKey(other.wrappedDek()))).isInstanceOf(KmsException.class);
    }

    @Test
    void theHeaderParsesFromTheFirstBytesOfAnObject() {
        byte[] sealed = seal("acme", 0, 3);
        Segment s = Segment.parse("obj", sealed);
        byte[] prefix = Arrays.copyOf(sealed, Math.min(sealed.length, 600));
        assertThat(Segment.parseHeader("obj", prefix)).isEqualTo(s.header());
        assertThatThrownBy(() -> Segment.parseHeader("s3://b/k", Arrays.copyOf(sealed, 20)))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("s3://b/k").hasMessageContaining("truncated");
    }

    @Test
    void roundTripWithTheKmsAlone() {
        List<byte[]> records = opener.open("obj", seal("acme", 10, 14));
        assertThat(records).hasSize(5);
        assertThat(new String(records.get(4), StandardCharsets.UTF_8)).isEqualTo("{\"offset\":14}");
    }

    @Test
    void flippingAnySingleByteOfFrameHeaderWrappedKeyOrBodyFails() {
        byte[] sealed = seal("acme", 0, 3);
        for (int i = 0; i < sealed.length; i++) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assertThatThrownBy(() -> opener.open("obj", tampered)).as("flipped byte %d of %d", i, sealed.length)
                    .isInstanceOfAny(SegmentFormatException.class, KmsException.class);
        }
    }

    @Test
    void aSegmentClaimingAnotherTenantOrEnvironmentFails() {
        Segment s = Segment.parse("obj", seal("acme", 0, 3));
        await(kms.createKek("globex"), T);
        for (SegmentHeader moved : List.of(
                SegmentHeader.newBuilder(s.header()).setTenant("globex").build(),
                SegmentHeader.newBuilder(s.header()).setEnvironment("prod").build(),
                SegmentHeader.newBuilder(s.header()).setKeyId("local://globex").setTenant("globex").build())) {
            assertThatThrownBy(() -> opener.open("obj", new Segment(moved, s.body()))).as("%s", moved)
                    .isInstanceOfAny(SegmentFormatException.class, KmsException.class);
        }
    }

    @Test
    void changingTheOffsetRangeFails() {
        Segment s = Segment.parse("obj", seal("acme", 100, 109));
        SegmentHeader shifted = SegmentHeader.newBuilder(s.header()).setFirstOffset(200).setLastOffset(209).build();
        assertThatThrownBy(() -> opener.open("obj", new Segment(shifted, s.body())))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("failed authentication");
    }

    @Test
    void aSegmentStillDecryptsAfterItsKekWasRotated() {
        byte[] old = seal("acme", 0, 3);
        await(kms.rotate("local://acme"), T);
        byte[] fresh = seal("acme", 4, 7);
        assertThat(Segment.parse("new", fresh).header().getKeyVersion()).isEqualTo("2");
        assertThat(opener.open("old", old)).hasSize(4);
        assertThat(opener.open("new", fresh)).hasSize(4);
    }

    @Test
    void afterDestroyOpeningFailsNamingKeyAndVersion() {
        byte[] old = seal("acme", 0, 3);
        await(kms.rotate("local://acme"), T);
        await(kms.destroy("local://acme", "1"), T);
        assertThatThrownBy(() -> opener.open("old", old))
                .isInstanceOf(KeyDestroyedException.class)
                .hasMessageStartingWith("key local://acme version 1 was destroyed at ");
    }
}
