package io.strongroom.cli;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kmses;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A process that uses keys, for {@link AuditSpoolIT}: {@code KeyUseChild CONFIG warm N} makes one data key, prints
 * {@code used warm}, waits for a line on stdin, then makes {@code N} more (printing {@code used seg-I} after each
 * returned) and waits to be killed; {@code KeyUseChild CONFIG once} makes one ({@code used once}) and closes its KMS.
 */
public final class KeyUseChild {
    private KeyUseChild() {}

    public static void main(String[] args) throws Exception {
        StrongroomConfig config = ConfigLoader.load(Path.of(args[0]), Map.of());
        AuditingKms kms = KmsFactory.create(config, "encryptor");
        if (args[1].equals("once")) {
            use(kms, config, "once");
            kms.close();
            System.out.println("closed");
            return;
        }
        use(kms, config, "warm");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        in.readLine();
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            use(kms, config, "seg-" + i);
        }
        in.readLine(); // until killed
    }

    private static void use(AuditingKms kms, StrongroomConfig config, String segment) {
        Kmses.await(kms.generateDek(kms.keyIdFor("acme"), new DekContext(config.environment(), "acme", segment)),
                Duration.ofMinutes(5));
        System.out.println("used " + segment);
        System.out.flush();
    }
}
