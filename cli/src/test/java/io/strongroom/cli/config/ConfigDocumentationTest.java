package io.strongroom.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every configuration key is documented in the README's table, so the docs cannot drift from the code. */
class ConfigDocumentationTest {
    @Test
    void everyKeyIsInTheReadmeConfigurationTable() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(ConfigLoader.overridableKeys().keySet())
                .isNotEmpty()
                .allSatisfy(key -> assertThat(readme).as("README documents %s", key).contains("| `" + key + "`"));
        assertThat(readme).contains("| `kafka.properties`");
    }
}
