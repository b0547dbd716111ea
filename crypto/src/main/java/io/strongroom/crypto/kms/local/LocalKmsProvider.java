package io.strongroom.crypto.kms.local;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.ManagedKms;
import java.nio.file.Path;

/** {@code kms.type: local}: a {@link LocalKms}, its passphrase from {@code kms.local.passphrase-file} or the environment. */
public final class LocalKmsProvider implements KmsProvider<LocalKmsConfig> {
    /** Variable holding the passphrase when no passphrase file is configured. */
    public static final String PASSPHRASE_VARIABLE = "STRONGROOM_KMS_PASSPHRASE";

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Class<LocalKmsConfig> configType() {
        return LocalKmsConfig.class;
    }

    @Override
    public ManagedKms create(LocalKmsConfig config, KmsContext context) {
        char[] passphrase = context.secret("kms.local.passphrase-file", config.passphraseFile(), PASSPHRASE_VARIABLE,
                "local KMS needs a passphrase");
        return LocalKms.open(new LocalKms.Options(Path.of(config.directory()), passphrase, config.autoCreate(),
                context.environment(), config.allowInProd(), LocalKms.DEFAULT_ITERATIONS));
    }
}
