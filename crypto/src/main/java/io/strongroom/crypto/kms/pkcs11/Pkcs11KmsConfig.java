package io.strongroom.crypto.kms.pkcs11;

import java.util.Objects;

/**
 * Settings of a PKCS#11 token (HSM): {@code kms.pkcs11} in the configuration file.
 *
 * @param library path of the PKCS#11 module; default {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param slotListIndex index of the token's slot; default 0
 * @param pinFile file holding the user PIN; else {@code $STRONGROOM_PKCS11_PIN}
 * @param directory where key versions and their states are recorded; default {@code ./data/kms-pkcs11}
 * @param autoCreate create a tenant's key on first use instead of failing closed; default false
 */
public record Pkcs11KmsConfig(String library, Integer slotListIndex, String pinFile, String directory, Boolean autoCreate) {
    public Pkcs11KmsConfig {
        library = Objects.requireNonNullElse(library, "/usr/lib/softhsm/libsofthsm2.so");
        slotListIndex = Objects.requireNonNullElse(slotListIndex, 0);
        directory = Objects.requireNonNullElse(directory, "./data/kms-pkcs11");
        autoCreate = Objects.requireNonNullElse(autoCreate, false);
        if (slotListIndex < 0) {
            throw new IllegalArgumentException("kms.pkcs11.slot-list-index must be >= 0, got " + slotListIndex);
        }
    }
}
