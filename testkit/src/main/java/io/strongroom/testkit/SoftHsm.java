package io.strongroom.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyGenerator;

/**
 * A SoftHSM2 token for tests. SoftHSM reads {@code $SOFTHSM2_CONF} when the PKCS#11 module is
 * loaded, so the test JVM must be started with it set (the build does: {@code target/softhsm});
 * this helper writes that file, a fresh token directory, and initializes one token, once per JVM.
 */
public final class SoftHsm {
    /** Where Debian installs the module. */
    public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    /** User PIN of the test token. */
    public static final String PIN = "1234-test";
    /** Security-officer PIN of the test token. */
    public static final String SO_PIN = "5678-test";
    /** Label of the test token. */
    public static final String LABEL = "strongroom-test";

    private static boolean initialized;

    private SoftHsm() {}

    /** Skips (locally) or fails (in CI) unless SoftHSM2 is installed and {@code SOFTHSM2_CONF} is set. */
    public static void requireAvailable() {
        RequiredService.require("SoftHSM2", Files.isReadable(Path.of(LIBRARY)) && hasUtil() && System.getenv("SOFTHSM2_CONF") != null,
                "apt-get install softhsm2, and run the tests through Maven (it sets SOFTHSM2_CONF)");
    }

    /** Initializes the test token (once per JVM) and returns its slot list index (always 0). */
    public static synchronized int token() {
        requireAvailable();
        if (!initialized) {
            Path conf = Path.of(System.getenv("SOFTHSM2_CONF"));
            Path tokens = conf.resolveSibling("tokens");
            try {
                Dirs.deleteRecursively(tokens);
                Files.createDirectories(tokens);
                Files.writeString(conf, "directories.tokendir = " + tokens.toAbsolutePath() + "\nobjectstore.backend = file\n"
                        + "log.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
                run(List.of("softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", SO_PIN, "--pin", PIN), conf);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare SoftHSM2 in " + conf.getParent(), e);
            }
            initialized = true;
        }
        return 0;
    }

    /**
     * Stores an AES-256 key on the test token under {@code label}, through SunPKCS11 as
     * {@code Pkcs11Kms} does. With {@code tokenGenerated} the key is generated as a token object,
     * as Pkcs11Kms did before it generated session objects: the labelled copy then leaves an
     * unlabelled original on the token too. Without, the labelled copy is the only token object.
     * Needs a login in this JVM's PKCS#11 module first (any {@code Pkcs11Kms.open}).
     */
    public static void storeKey(String label, boolean tokenGenerated) {
        String config = String.join("\n", "name = StrongroomTest", "library = " + LIBRARY, "slotListIndex = " + token(),
                "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {", "  CKA_TOKEN = " + tokenGenerated,
                "  CKA_SENSITIVE = true", "  CKA_EXTRACTABLE = false", "  CKA_ENCRYPT = true", "  CKA_DECRYPT = true", "}");
        try {
            Provider provider = Security.getProvider("SunPKCS11").configure("--" + config);
            KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, PIN.toCharArray());
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            keyStore.setKeyEntry(label, generator.generateKey(), null, null);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot store " + label + " on the test token: " + e, e);
        }
    }

    private static boolean hasUtil() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "softhsm2-util"))) {
                return true;
            }
        }
        return false;
    }

    private static void run(List<String> command, Path conf) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command.subList(0, 2)) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
