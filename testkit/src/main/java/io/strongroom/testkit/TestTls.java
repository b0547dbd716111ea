package io.strongroom.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time with the JDK's {@code keytool}: a server key pair for {@code localhost} and
 * {@code 127.0.0.1} (EC P-256, self-signed, valid two days) in a PKCS#12 keystore, and a truststore holding its
 * certificate. Nothing is checked in; every test run has its own.
 *
 * @param keystore the server's key and certificate (PKCS#12)
 * @param truststore what clients trust: the server's certificate (PKCS#12)
 * @param password the password of both
 */
public record TestTls(Path keystore, Path truststore, String password) {
    /** The password of test keystores (in {@link TestSecrets#all()}: it must not reach a log). */
    public static final String PASSWORD = "tls-store-pass-31c8";

    /** Makes the stores in {@code dir}. */
    public static TestTls create(Path dir) {
        try {
            Files.createDirectories(dir);
            Path keystore = dir.resolve("server.p12");
            Path cert = dir.resolve("server.pem");
            Path truststore = dir.resolve("truststore.p12");
            keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", keystore.toString(),
                    "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
            keytool("-exportcert", "-alias", "server", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-rfc",
                    "-file", cert.toString());
            keytool("-importcert", "-noprompt", "-alias", "server", "-file", cert.toString(), "-keystore", truststore.toString(),
                    "-storetype", "PKCS12", "-storepass", PASSWORD);
            return new TestTls(keystore, truststore, PASSWORD);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make test certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Trust managers that trust exactly the test certificate. */
    public TrustManager[] trustManagers() {
        try (var in = Files.newInputStream(truststore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            TrustManagerFactory f = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            return f.getTrustManagers();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + truststore + ": " + e.getMessage(), e);
        }
    }

    /** Kafka client properties for a broker with this certificate on an SSL listener. */
    public Map<String, Object> kafkaClientProperties() {
        return Map.of("security.protocol", "SSL", "ssl.truststore.location", truststore.toString(),
                "ssl.truststore.type", "PKCS12", "ssl.truststore.password", password);
    }
}
