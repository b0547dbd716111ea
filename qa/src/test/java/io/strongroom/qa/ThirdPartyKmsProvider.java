package io.strongroom.qa;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;

/**
 * A KMS backend from outside Strongroom's own modules, as a third party would add one: a provider, its own config
 * record, a line in {@code META-INF/services}; nothing in the CLI. (It stands a test-cost local KMS behind its own
 * name, so {@link ThirdPartyKmsProviderTest} can drive it through the whole CLI stack.)
 */
public final class ThirdPartyKmsProvider implements KmsProvider<ThirdPartyKmsProvider.Config> {

    /**
     * Its settings, {@code kms.third-party}.
     *
     * @param directory where its keys live (required)
     * @param autoCreate create a tenant's key on first use; default false
     */
    public record Config(String directory, Boolean autoCreate) {
        public Config {
            if (directory == null || directory.isBlank()) {
                throw new IllegalArgumentException("kms.third-party.directory is required");
            }
            autoCreate = autoCreate != null && autoCreate;
        }
    }

    @Override
    public String name() {
        return "third-party";
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    public ManagedKms create(Config config, KmsContext context) {
        return TestKms.local(Path.of(config.directory()), config.autoCreate());
    }
}
