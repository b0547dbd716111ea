package io.strongroom.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The archive benchmark's machinery, small: the harness starts a broker and S3Proxy, runs each side in a worker JVM,
 * and reports a round with both rates and where the CPU went. Run in a JVM of its own (its settings are read once).
 */
class ArchiverThroughputHarnessIT {
    @Test
    void runsBothSidesInWorkerJvmsAndReportsTheirRatesAndCpu() throws Exception {
        Process harness = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dbench.warmup-rounds=0", "-Dbench.max-warmup-rounds=0", "-Dbench.cpu=true",
                "-Dbench.worker-jvm-args=-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ArchiverThroughputHarness.class.getName(), "60", "65536", "1").redirectErrorStream(true).start();
        harness.getOutputStream().close();
        String output = new String(harness.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(harness.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(harness.exitValue()).as(output).isZero();

        Matcher round = Pattern.compile("round 1 \\(archiver first\\): archiver ([0-9.]+) MB/s, raw PutObject ([0-9.]+) MB/s, "
                + "ratio ([0-9.]+)").matcher(output);
        assertThat(round.find()).as(output).isTrue();
        for (String rate : List.of(round.group(1), round.group(2))) {
            assertThat(Double.parseDouble(rate)).isPositive();
        }
        Matcher median = Pattern.compile("median ratio archiver/raw PutObject over 1 rounds: ([0-9.]+)").matcher(output);
        assertThat(median.find()).as(output).isTrue();
        assertThat(Double.parseDouble(median.group(1))).isCloseTo(Double.parseDouble(round.group(3)), Offset.offset(0.005));
        // the archiver's PUTs ran in its worker, the reference's in the other; S3Proxy served both in the harness
        assertThat(output).containsPattern("CPU ms, archiver: side \\d+ \\+ servers \\d+ = \\d+; side's threads \\{[^}]*strongroom-archiver-put=")
                .containsPattern("CPU ms, raw: +side \\d+ \\+ servers \\d+ = \\d+; side's threads \\{[^}]*pool-N-thread-N=")
                .containsPattern("servers' threads \\{[^}]*SNProxy-Jetty-N=");
    }
}
