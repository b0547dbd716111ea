package io.strongroom.crypto.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The data-key AEAD must be Tink's AES-GCM, byte for byte in format, both ways. */
class AesGcmDekTest {
    private static final byte[] AD = "associated".getBytes(StandardCharsets.UTF_8);

    @Test
    void tinkDecryptsWhatItEncryptsAndTheOtherWayRound() throws Exception {
        KeysetHandle keyset = DataKeys.generate();
        Aead ours = DataKeys.aead(keyset);
        Aead tink = DataKeys.tinkAead(keyset);
        byte[] plaintext = "a change event".repeat(1000).getBytes(StandardCharsets.UTF_8);

        byte[] fromOurs = ours.encrypt(plaintext, AD);
        byte[] fromTink = tink.encrypt(plaintext, AD);
        assertThat(ours).isInstanceOf(AesGcmDek.class);
        assertThat(fromOurs).hasSize(AesGcmDek.ciphertextSize(plaintext.length)).hasSameSizeAs(fromTink);
        assertThat(tink.decrypt(fromOurs, AD)).isEqualTo(plaintext);
        assertThat(ours.decrypt(fromTink, AD)).isEqualTo(plaintext);
    }

    @Test
    void bufferRegionsRoundTripAndEveryFlippedByteOrWrongAdFails() throws Exception {
        AesGcmDek dek = (AesGcmDek) DataKeys.aead(DataKeys.generate());
        byte[] plaintext = "segment body".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[7 + AesGcmDek.ciphertextSize(plaintext.length)];
        dek.encrypt(ByteBuffer.wrap(plaintext), AD, ByteBuffer.wrap(frame, 7, frame.length - 7));
        assertThat(dek.decrypt(ByteBuffer.wrap(frame, 7, frame.length - 7), AD)).isEqualTo(plaintext);

        for (int i = 7; i < frame.length; i++) {
            byte[] tampered = frame.clone();
            tampered[i] ^= 1;
            assertThatThrownBy(() -> dek.decrypt(ByteBuffer.wrap(tampered, 7, tampered.length - 7), AD))
                    .as("byte %d", i).isInstanceOf(GeneralSecurityException.class);
        }
        assertThatThrownBy(() -> dek.decrypt(ByteBuffer.wrap(frame, 7, frame.length - 7), "other".getBytes()))
                .isInstanceOf(GeneralSecurityException.class);
    }

    @Test
    void ivsAreFresh() throws Exception {
        Aead dek = DataKeys.aead(DataKeys.generate());
        byte[] a = dek.encrypt(new byte[16], AD);
        byte[] b = dek.encrypt(new byte[16], AD);
        assertThat(Arrays.copyOf(a, 12)).isNotEqualTo(Arrays.copyOf(b, 12));
    }
}
