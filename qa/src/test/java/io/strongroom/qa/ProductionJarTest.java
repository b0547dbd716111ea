package io.strongroom.qa;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The production jar, {@code cli/target/strongroom.jar} (the one the Docker image ships), carries neither the Kafka
 * broker, Scala, S3Proxy, the testkit nor a test library, and none of module sandbox's classes; the sandbox jar,
 * {@code sandbox/target/strongroom-sandbox.jar} (the one {@code ./strongroom} runs), has them all. Reads the jars the
 * build's package phase wrote: under {@code CI=true} a missing jar fails, otherwise it skips with the reason. Every
 * library of the production jar is in the sandbox jar at the same version, so that {@code ./strongroom} runs the
 * services as the Docker image does.
 */
class ProductionJarTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Top-level paths no entry of the production jar may start with. */
    static final List<String> NOT_IN_PRODUCTION = List.of("org/junit/", "kafka/server/", "scala/", "org/gaul/", "org/jclouds/",
            "org/assertj/", "org/awaitility/", "io/strongroom/testkit/", "io/strongroom/cli/demo/",
            "io/strongroom/cli/SandboxMain.class", "io/strongroom/cli/DemoCommand.class", "io/strongroom/cli/LocalCommand.class");

    private static JarFile jar(String path) throws IOException {
        Path file = ROOT.resolve(path);
        if (!Files.isRegularFile(file)) {
            String why = file + " is missing: build it first (./mvnw -B package -DskipTests -pl sandbox -am)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        return new JarFile(file.toFile());
    }

    @Test
    void theProductionJarHoldsNoBrokerS3ProxyScalaTestkitOrSandbox() throws IOException {
        try (JarFile jar = jar("cli/target/strongroom.jar")) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            assertThat(names).as("entries").contains("io/strongroom/cli/Main.class", "org/apache/kafka/clients/producer/KafkaProducer.class");
            assertThat(names).as("entries of the production jar that belong to the sandbox jar")
                    .filteredOn(n -> NOT_IN_PRODUCTION.stream().anyMatch(n::startsWith)).isEmpty();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.strongroom.cli.Main");
        }
    }

    @Test
    void theSandboxJarHoldsTheBrokerAndS3ProxyToo() throws IOException {
        try (JarFile jar = jar("sandbox/target/strongroom-sandbox.jar")) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.strongroom.cli.SandboxMain");
            for (String name : List.of("io/strongroom/cli/Main.class", "io/strongroom/cli/DemoCommand.class",
                    "io/strongroom/testkit/EmbeddedKafka.class", "kafka/server/KafkaRaftServer.class", "org/gaul/s3proxy/S3Proxy.class")) {
                assertThat(jar.getEntry(name)).as(name).isNotNull();
            }
        }
    }

    @Test
    void theSandboxJarHasEveryProductionLibraryAtTheSameVersion() throws IOException {
        try (JarFile production = jar("cli/target/strongroom.jar"); JarFile sandbox = jar("sandbox/target/strongroom-sandbox.jar")) {
            Map<String, String> inProduction = versions(production);
            Map<String, String> inSandbox = versions(sandbox);
            assertThat(inProduction).as("libraries of the production jar").hasSizeGreaterThan(50);
            Map<String, String> differ = new TreeMap<>();
            inProduction.forEach((artifact, version) -> {
                if (!version.equals(inSandbox.get(artifact))) {
                    differ.put(artifact, version + " in strongroom.jar, " + inSandbox.get(artifact) + " in strongroom-sandbox.jar");
                }
            });
            assertThat(differ).as("pin the production version in sandbox/pom.xml").isEmpty();
        }
    }

    /** groupId:artifactId → version of every library whose pom.properties the shaded jar kept. */
    static Map<String, String> versions(JarFile jar) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (ZipEntry e : jar.stream().filter(e -> e.getName().matches("META-INF/maven/[^/]+/[^/]+/pom\\.properties")).toList()) {
            Properties p = new Properties();
            try (InputStream in = jar.getInputStream(e)) {
                p.load(in);
            }
            if (p.getProperty("version") != null) {
                out.put(p.getProperty("groupId") + ":" + p.getProperty("artifactId"), p.getProperty("version"));
            }
        }
        return out;
    }
}
