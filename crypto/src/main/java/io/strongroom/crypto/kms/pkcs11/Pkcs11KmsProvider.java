package io.strongroom.crypto.kms.pkcs11;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.ManagedKms;
import java.nio.file.Path;

/** {@code kms.type: pkcs11}: a {@link Pkcs11Kms}, its PIN from {@code kms.pkcs11.pin-file} or the environment. */
public final class Pkcs11KmsProvider implements KmsProvider<Pkcs11KmsConfig> {
    /** Variable holding the user PIN when no PIN file is configured. */
    public static final String PIN_VARIABLE = "STRONGROOM_PKCS11_PIN";

    @Override
    public String name() {
        return "pkcs11";
    }

    @Override
    public Class<Pkcs11KmsConfig> configType() {
        return Pkcs11KmsConfig.class;
    }

    @Override
    public ManagedKms create(Pkcs11KmsConfig config, KmsContext context) {
        char[] pin = context.secret("kms.pkcs11.pin-file", config.pinFile(), PIN_VARIABLE, "PKCS#11 token needs a PIN");
        return Pkcs11Kms.open(new Pkcs11Kms.Options(config.library(), config.slotListIndex(), pin,
                Path.of(config.directory()), config.autoCreate()));
    }
}
