package io.strongroom.crypto.kms;

import com.google.crypto.tink.Aead;
import java.util.Objects;

/**
 * A freshly generated data key: the primitive to encrypt with, and the same key wrapped by a KEK.
 *
 * @param aead the usable key (its bytes stay inside Tink)
 * @param wrapped the key wrapped under the KEK, to be stored next to the ciphertext
 */
public record DataKey(Aead aead, WrappedDek wrapped) {
    public DataKey {
        Objects.requireNonNull(aead, "aead");
        Objects.requireNonNull(wrapped, "wrapped");
    }
}
