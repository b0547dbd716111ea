package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.ingest.PayloadDigest;
import io.strongroom.testkit.TestSecrets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DLQ digest secret comes from its file or the environment, is long enough, and is never optional. */
class DlqDigestKeyTest {
    @TempDir Path dir;

    private StrongroomConfig config(String extra) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "environment: prod\ns3:\n  bucket: backups\n" + extra);
        return ConfigLoader.load(f, Map.of());
    }

    @Test
    void theSecretComesFromItsFileOrTheEnvironmentAndIsRequired() throws Exception {
        byte[] value = "a dead letter".getBytes(StandardCharsets.UTF_8);
        PayloadDigest expected = PayloadDigest.of(TestSecrets.DLQ_DIGEST_KEY.getBytes(StandardCharsets.UTF_8), "prod");

        assertThat(DlqDigestKey.load(config(""), Map.of(DlqDigestKey.VARIABLE, TestSecrets.DLQ_DIGEST_KEY)).of(value))
                .isEqualTo(expected.of(value));
        Path file = dir.resolve("dlq-digest-key");
        Files.writeString(file, TestSecrets.DLQ_DIGEST_KEY + "\n");
        assertThat(DlqDigestKey.load(config("ingest:\n  dlq-digest-key-file: " + file + "\n"), Map.of()).of(value))
                .isEqualTo(expected.of(value));

        assertThatThrownBy(() -> DlqDigestKey.load(config(""), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage("the DLQ digest key (HMAC of dead letters' payloads): set STRONGROOM_DLQ_DIGEST_KEY or "
                        + "ingest.dlq-digest-key-file");
        assertThatThrownBy(() -> DlqDigestKey.load(config(""), Map.of(DlqDigestKey.VARIABLE, "short")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("STRONGROOM_DLQ_DIGEST_KEY: the DLQ digest key must be at least 32 bytes, got 5");
    }
}
