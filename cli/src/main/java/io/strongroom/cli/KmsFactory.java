package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.file.Path;

/** Builds the configured KMS backend. */
public final class KmsFactory {
    private KmsFactory() {}

    public static Kms create(StrongroomConfig config) {
        return switch (config.kms().type()) {
            case "local" -> LocalKms.open(Path.of(config.kms().local().directory()), config.kms().local().autoCreate());
            default -> throw new IllegalArgumentException("kms.type " + config.kms().type() + " is not supported");
        };
    }
}
