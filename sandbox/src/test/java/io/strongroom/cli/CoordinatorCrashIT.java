package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The coordinator killed with SIGKILL again and again while it rotates: it converges on one primary, published. */
class CoordinatorCrashIT {

    /** What the KMS says, read without auditing (the test's own look, not a service's). */
    private static List<KeyVersion> versions(StrongroomConfig config) {
        try (ManagedKms kms = KmsFactory.backend(config, System.getenv())) {
            List<KeyVersion> v = new ArrayList<>(Kmses.await(kms.describe("local://acme"), Duration.ofSeconds(10)));
            v.sort(Comparator.comparing(KeyVersion::createdAt));
            return v;
        }
    }

    @Test
    void killedMidRotationAndRestartedTheCoordinatorConvergesOnExactlyOnePublishedPrimary() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-coordinator-crash-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            Path cfg = dir.resolve("coordinator.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()) + """
                    coordinator:
                      tenants: [acme]
                      check-interval: PT1S
                      policy:
                        rotation-period: PT2S
                    """);
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            PipelineIT.Run first = PipelineIT.run("coordinator", "--config", cfg.toString(), "--once"); // topics and the key
            assertThat(first.code()).as(first.err()).isZero();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            int kills = 0;
            for (int round = 1; round <= 4; round++) {
                int before = versions(config).size();
                Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                        "coordinator", "--config", cfg.toString()).redirectErrorStream(true)
                        .redirectOutput(Path.of("target", "crash-coordinator-" + round + ".log").toFile()).start();
                try {
                    await().atMost(Duration.ofSeconds(60)).until(() -> versions(config).size() > before);
                } finally {
                    p.destroyForcibly(); // SIGKILL, right after a rotation: perhaps before its publication
                    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                }
                kills++;
            }
            List<KeyVersion> afterKills = versions(config);
            PipelineIT.Run once = PipelineIT.run("coordinator", "--config", cfg.toString(), "--once");
            assertThat(once.code()).as(once.err()).isZero();

            List<KeyVersion> all = versions(config);
            assertThat(all.stream().filter(KeyVersion::primary)).as("exactly one primary after %d kills", kills).hasSize(1);
            assertThat(all.size()).as("a restart rotates only if the primary is due").isLessThanOrEqualTo(afterKills.size() + 1);
            for (int i = 1; i < all.size(); i++) {
                assertThat(Duration.between(all.get(i - 1).createdAt(), all.get(i).createdAt()))
                        .as("no double rotation between versions %s and %s", all.get(i - 1).version(), all.get(i).version())
                        .isGreaterThanOrEqualTo(Duration.ofMillis(1500));
            }
            Map<String, KeyVersionEvent> published = new HashMap<>();
            TopicReader.readToEnd(config.kafka().clientProperties(), Topics.KEYS, r -> published.put(r.key(), r.value()));
            for (KeyVersion v : all) {
                KeyVersionEvent e = published.get("local://acme/" + v.version());
                assertThat(e).as("version %s published", v.version()).isNotNull();
                assertThat(e.getState().name()).isEqualTo(v.primary() ? "PRIMARY" : "DECRYPT_ONLY");
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
