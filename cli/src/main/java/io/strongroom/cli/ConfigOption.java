package io.strongroom.cli;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every service command takes. */
final class ConfigOption {
    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "YAML configuration file (see README: Configuration). Keys can be overridden with STRONGROOM_* variables.")
    Path file;

    StrongroomConfig load() {
        return ConfigLoader.load(file, System.getenv());
    }
}
