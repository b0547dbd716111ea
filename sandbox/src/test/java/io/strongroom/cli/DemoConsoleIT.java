package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strongroom demo} as a newcomer runs it, in a process of its own: the console holds Strongroom's story —
 * progress and the summary — and nothing that reads as a failure (no ERROR, no stack trace); the broker's and
 * the clients' logs are in the file the summary names.
 */
class DemoConsoleIT {
    @Test
    void theDemoConsolePrintsNoErrorAndNamesItsLogFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("console.txt");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), SandboxMain.class.getName(), "demo", "--events", "3000", "--tenants", "2",
                "--data-dir", dir.resolve("data").toString()));
        Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!demo.waitFor(5, TimeUnit.MINUTES)) {
            demo.destroyForcibly();
            throw new AssertionError("strongroom demo did not finish within 5 minutes; its console so far:\n" + Files.readString(out));
        }
        String console = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(demo.exitValue()).as(console).isZero();
        assertThat(console).contains("restore match      yes").contains("segments archived");
        assertThat(console.lines()).as(console).noneMatch(l -> l.contains("ERROR"))
                .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread"));
        Matcher log = Pattern.compile("(?m)^  log\\s+(\\S+)").matcher(console);
        assertThat(log.find()).as("the summary names the log file:\n" + console).isTrue();
        Path file = Path.of(log.group(1));
        assertThat(file).isEqualTo(dir.resolve("data").resolve("logs").resolve("demo.log")).exists();
        assertThat(Files.readString(file)).as("Strongroom's own lines are in the file too").contains("ingest started");
    }
}
