package io.strongroom.qa;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.TestSecrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No key, password, PIN, token or TOTP secret the tests used appears in any log the build wrote: test output
 * (surefire, failsafe), the logs of the services the tests ran as processes, and the test reports (assertion
 * messages, exceptions). Runs in the last module, after every other module's tests.
 */
class LogSecretsTest {
    /** Files the build wrote that hold log lines or exception messages. */
    static List<Path> logs(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.filter(p -> Files.isDirectory(p.resolve("target"))).toList()) {
                try (Stream<Path> files = Files.walk(module.resolve("target"), 2)) {
                    files.filter(Files::isRegularFile).filter(p -> {
                        String name = p.getFileName().toString();
                        String dir = p.getParent().getFileName().toString();
                        return name.endsWith(".log") || dir.endsWith("-reports") && (name.endsWith(".txt") || name.endsWith(".xml"));
                    }).forEach(out::add);
                }
            }
        }
        return out;
    }

    /** One line per secret found: which file, which secret (by its position in the list, never printed). */
    static List<String> leaks(List<Path> files, List<String> secrets) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.ISO_8859_1); // any bytes: UTF-8 text matches as is
            for (int i = 0; i < secrets.size(); i++) {
                if (text.contains(secrets.get(i))) {
                    found.add(f + " contains test secret #" + i);
                }
            }
        }
        return found;
    }

    @Test
    void noSecretTheTestsUsedIsInAnyLogTheBuildWrote() throws IOException {
        List<Path> files = logs(Path.of("..").toAbsolutePath().normalize());
        if ("true".equals(System.getenv("CI"))) { // the whole build ran before this module: its logs must be there
            assertThat(files).as("logs of the other modules").hasSizeGreaterThan(50)
                    .anyMatch(p -> p.toString().contains("/sandbox/target/failsafe-reports/"))
                    .anyMatch(p -> p.toString().contains("/crypto/target/surefire-reports/"));
        }
        assertThat(leaks(files, TestSecrets.all())).as("secrets in %d log files", files.size()).isEmpty();
    }

    @Test
    void theScanFindsASecretWhereverItIs(@TempDir Path root) throws IOException {
        Path reports = Files.createDirectories(root.resolve("m/target/failsafe-reports"));
        Files.writeString(reports.resolve("X-output.txt"), "line\nconnecting with " + TestSecrets.all().get(1) + " ok\n");
        Files.writeString(root.resolve("m/target/service.log"), "nothing to see\n");
        List<Path> files = logs(root);
        assertThat(files).hasSize(2);
        assertThat(leaks(files, TestSecrets.all())).singleElement().asString().endsWith("X-output.txt contains test secret #1")
                .doesNotContain(TestSecrets.all().get(1));
    }
}
