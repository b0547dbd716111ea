package io.strongroom.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The test token's secret keys as OpenSC's {@code pkcs11-tool} lists them: a view of the token
 * through PKCS#11 that is independent of Strongroom's code and of the JDK's SunPKCS11 provider
 * (which shows only labelled keys). Runs in its own process, so it sees token objects only —
 * never another process's session objects.
 */
public final class Pkcs11Tool {
    /**
     * One secret key object.
     *
     * @param header the object's first line, e.g. {@code Secret Key Object; AES length 32}
     * @param label its {@code CKA_LABEL} ("" when it has none)
     * @param access the {@code Access:} line, e.g. {@code sensitive, always sensitive, never extractable, local}
     */
    public record SecretKey(String header, String label, String access) {
        public boolean aes() {
            return header.contains("AES");
        }
    }

    private Pkcs11Tool() {}

    /** Skips (locally) or fails (in CI) unless {@code pkcs11-tool} and SoftHSM2 are there. */
    public static void requireAvailable() {
        SoftHsm.requireAvailable();
        RequiredService.require("pkcs11-tool", onPath("pkcs11-tool"), "apt-get install opensc");
    }

    /** Every secret key on the test token ({@link SoftHsm#token()}), in the order pkcs11-tool lists them. */
    public static List<SecretKey> secretKeys() {
        requireAvailable();
        SoftHsm.token();
        List<String> command = List.of("pkcs11-tool", "--module", SoftHsm.LIBRARY, "--token-label", SoftHsm.LABEL, "--login",
                "--pin", SoftHsm.PIN, "--list-objects", "--type", "secrkey");
        try {
            Process p = new ProcessBuilder(command).start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            String out = read(p.getInputStream());
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("pkcs11-tool --list-objects did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("pkcs11-tool --list-objects failed (exit " + p.exitValue() + "): "
                        + err.join().strip());
            }
            return parse(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run pkcs11-tool", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing the token's objects", e);
        }
    }

    /** Parses {@code pkcs11-tool --list-objects} output: an unindented header line, then indented {@code name: value} lines. */
    static List<SecretKey> parse(String out) {
        List<SecretKey> keys = new ArrayList<>();
        String header = null;
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : out.split("\n", -1)) {
            boolean indented = line.startsWith(" ") || line.startsWith("\t");
            if (!indented && header != null) {
                keys.add(new SecretKey(header, fields.getOrDefault("label", ""), fields.getOrDefault("Access", "")));
                header = null;
                fields.clear();
            }
            if (!indented && line.startsWith("Secret Key Object")) {
                header = line.strip();
            } else if (indented && header != null && line.contains(":")) {
                int colon = line.indexOf(':');
                fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        if (header != null) {
            keys.add(new SecretKey(header, fields.getOrDefault("label", ""), fields.getOrDefault("Access", "")));
        }
        return keys;
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
