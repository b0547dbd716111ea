package io.strongroom.crypto.kms.local;

import java.util.Objects;

/**
 * Settings of the local (development) KMS: {@code kms.local} in the configuration file.
 *
 * @param directory where the master-key file and the encrypted tenant keys are kept; default {@code ./data/kms}
 * @param autoCreate create a tenant's key on first use instead of failing closed; default false
 * @param passphraseFile file holding the passphrase; else {@code $STRONGROOM_KMS_PASSPHRASE}
 * @param allowInProd run even in a production environment (not recommended); default false
 */
public record LocalKmsConfig(String directory, Boolean autoCreate, String passphraseFile, Boolean allowInProd) {
    public LocalKmsConfig {
        directory = Objects.requireNonNullElse(directory, "./data/kms");
        autoCreate = Objects.requireNonNullElse(autoCreate, false);
        allowInProd = Objects.requireNonNullElse(allowInProd, false);
    }
}
