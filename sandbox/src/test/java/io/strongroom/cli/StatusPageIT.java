package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.RequiredService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's status page, rendered by a real browser (Debian's headless Chromium): the rendered page shows
 * every tenant's rotation status, the test restore result and the lag of each service's group; the screenshot is
 * kept as {@code sandbox/target/status-page.png}.
 */
class StatusPageIT {
    private static final List<String> CHROMIUM = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");

    private static String chromium() {
        String found = CHROMIUM.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        RequiredService.require("Chromium", found != null, "apt-get install chromium");
        return found;
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false)
                .redirectError(dir.resolve("chromium.log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("chromium.log"))).isZero();
        return out;
    }

    @Test
    void aBrowserRendersTheStatusPageWithRotationRestoresAndLag() throws Exception {
        String chromium = chromium();
        Path dir = Files.createTempDirectory("strongroom-status-page-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(200, 2, 61, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + "coordinator:\n  tenants: [acme, globex]\n");
            var config = ConfigLoader.load(cfg, Map.of());
            try (CoordinatorService coordinator = Coordinators.start(config)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.lastPassOk().isPresent());
                coordinator.verifyTenants(List.of("acme", "globex"), 1.0);
                Observability obs = Observability.start(config, "coordinator", 0, () -> new Observability.Health(true, Map.of()),
                        () -> StatusPage.html(coordinator.status()));
                try {
                    String url = "http://127.0.0.1:" + obs.port() + "/status";
                    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
                    List<String> base = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--user-data-dir=" + profile, "--window-size=1280,1000");
                    String dom = run(dir, concat(base, "--dump-dom", url));
                    assertThat(dom).contains("Strongroom status: demo").contains("<td>acme</td>").contains("<td>globex</td>")
                            .contains("local://acme").contains("on schedule").contains("100 %").contains("strongroom-encryptor")
                            .contains("strongroom-archiver").doesNotContain("OVERDUE").doesNotContain("FAILED");
                    Path shot = Path.of("target", "status-page.png").toAbsolutePath();
                    Files.deleteIfExists(shot);
                    run(dir, concat(base, "--screenshot=" + shot, url));
                    byte[] png = Files.readAllBytes(shot);
                    assertThat(png).as("a PNG").startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
                    assertThat(png.length).as("more than a blank page").isGreaterThan(20_000);
                } finally {
                    obs.close();
                }
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static String[] concat(List<String> base, String... more) {
        String[] out = base.toArray(new String[base.size() + more.length]);
        System.arraycopy(more, 0, out, base.size(), more.length);
        return out;
    }
}
