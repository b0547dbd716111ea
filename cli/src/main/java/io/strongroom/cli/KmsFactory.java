package io.strongroom.cli;

import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.local.LocalKms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Builds the configured KMS backend. */
public final class KmsFactory {
    /** Variable holding the local KMS passphrase when no passphrase file is configured. */
    public static final String PASSPHRASE_VARIABLE = "STRONGROOM_KMS_PASSPHRASE";

    private KmsFactory() {}

    public static Kms create(StrongroomConfig config) {
        return create(config, System.getenv());
    }

    static Kms create(StrongroomConfig config, Map<String, String> env) {
        return switch (config.kms().type()) {
            case "local" -> {
                StrongroomConfig.LocalKmsSettings local = config.kms().local();
                yield LocalKms.open(new LocalKms.Options(Path.of(local.directory()), passphrase(local, env),
                        local.autoCreate(), config.environment(), local.allowInProd(), LocalKms.DEFAULT_ITERATIONS));
            }
            default -> throw new IllegalArgumentException("kms.type " + config.kms().type() + " is not supported");
        };
    }

    private static char[] passphrase(StrongroomConfig.LocalKmsSettings local, Map<String, String> env) {
        if (local.passphraseFile() != null) {
            try {
                return Files.readString(Path.of(local.passphraseFile())).strip().toCharArray();
            } catch (IOException e) {
                throw new ConfigException("kms.local.passphrase-file: cannot read " + local.passphraseFile() + ": " + e.getMessage());
            }
        }
        String value = env.get(PASSPHRASE_VARIABLE);
        if (value == null || value.isBlank()) {
            throw new ConfigException("the local KMS needs a passphrase: set " + PASSPHRASE_VARIABLE
                    + " or kms.local.passphrase-file");
        }
        return value.toCharArray();
    }
}
