package io.strongroom.cli;

import io.strongroom.cli.config.ConfigException;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.ingest.PayloadDigest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The environment's DLQ payload digest ({@link PayloadDigest}) from its secret: the file {@code ingest.dlq-digest-key-file}
 * (preferred) or {@code $STRONGROOM_DLQ_DIGEST_KEY}, never the YAML. Ingest and {@code strongroom dlq} need the same secret.
 */
public final class DlqDigestKey {
    static final String VARIABLE = "STRONGROOM_DLQ_DIGEST_KEY";
    private static final String KEY = "ingest.dlq-digest-key-file";

    private DlqDigestKey() {}

    public static PayloadDigest load(StrongroomConfig c) {
        return load(c, System.getenv());
    }

    static PayloadDigest load(StrongroomConfig c, Map<String, String> env) {
        String file = c.ingest().dlqDigestKeyFile();
        String secret;
        if (file != null) {
            try {
                secret = Files.readString(Path.of(file)).strip();
            } catch (IOException e) {
                throw new ConfigException(KEY + ": cannot read " + file + ": " + e.getMessage());
            }
        } else {
            secret = env.get(VARIABLE);
            if (secret == null || secret.isBlank()) {
                throw new ConfigException("the DLQ digest key (HMAC of dead letters' payloads): set " + VARIABLE + " or " + KEY);
            }
        }
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < PayloadDigest.MIN_SECRET_BYTES) {
            throw new ConfigException((file != null ? KEY + " " + file : VARIABLE) + ": the DLQ digest key must be at least "
                    + PayloadDigest.MIN_SECRET_BYTES + " bytes, got " + bytes.length);
        }
        return PayloadDigest.of(bytes, c.environment());
    }
}
