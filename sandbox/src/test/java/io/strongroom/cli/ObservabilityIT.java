package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.anomaly.AnomalyService;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedS3;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every service's /metrics (Prometheus: Strongroom's meters, consumer lag, JVM) and /health (200 up, 503 down). */
class ObservabilityIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aServiceServesPrometheusMetricsAndAHealthThatFollowsItsState() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-observability-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            // the demo's encryptor, archiver and coordinator meters are in this JVM's global registry
            assertThat(Demo.run(sandbox, new Demo.Options(200, 1, 47, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            CoordinatorService coordinator = Coordinators.start(sandbox.config()); // rotation and verify meters
            await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.lastPassOk().isPresent());
            coordinator.verifyTenants(List.of("acme"), 1.0); // what the schedule does: the verify meters
            AnomalyService anomaly = AnomalyService.start(AnomalyConfig.defaults(), sandbox.config().kafka().clientProperties(),
                    dir.resolve("anomaly-state"));
            Observability obs = Observability.start(sandbox.config(), "anomaly", 0, () -> Observability.streams(anomaly.state()));
            try {
                assertThat(get(obs.port(), "/health").statusCode()).as("up while it starts").isEqualTo(200);
                await().atMost(Duration.ofSeconds(60)).until(() -> get(obs.port(), "/health").body().contains("RUNNING"));
                assertThat(get(obs.port(), "/health").body()).contains("\"service\":\"anomaly\"").contains("\"status\":\"UP\"")
                        .contains("\"streams\":\"RUNNING\"");

                String metrics = get(obs.port(), "/metrics").body();
                assertThat(metrics)
                        .contains("strongroom_encryptor_segments_sealed_total{")        // the encryptor's
                        .contains("strongroom_kms_calls_seconds_count{")       // KMS latency
                        .contains("kafka_consumer_fetch_manager_records_lag_max") // consumer lag
                        .contains("jvm_memory_used_bytes{")
                        .contains("service=\"anomaly\"").contains("environment=\"demo\"");
                // every metric the provisioned Grafana dashboard plots is one a service really exports
                JsonNode dashboard = new ObjectMapper()
                        .readTree(Path.of("..", "deploy", "grafana", "dashboards", "strongroom.json").toFile());
                Set<String> plotted = new TreeSet<>();
                for (JsonNode panel : dashboard.get("panels")) {
                    for (JsonNode target : panel.path("targets")) {
                        Matcher m = Pattern.compile("\\b(strongroom_[a-z_]+|restore_[a-z_]+|kafka_[a-z_]+)")
                                .matcher(target.get("expr").asText());
                        while (m.find()) {
                            plotted.add(m.group(1));
                        }
                    }
                }
                assertThat(plotted).hasSizeGreaterThan(10);
                for (String name : plotted) {
                    String base = name.replaceAll("_(sum|count)$", "");
                    assertThat(metrics).as("the dashboard plots %s", name).containsPattern("(?m)^" + base + "(_sum|_count|_total)?[{ ]");
                }
                assertThat(metrics).as("no secret in the metrics").doesNotContain(EmbeddedS3.SECRET_KEY)
                        .doesNotContain(Files.readString(dir.resolve("kms-passphrase")).strip());
                HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + obs.port() + "/metrics"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(post.statusCode()).isEqualTo(405);

                anomaly.close();
                HttpResponse<String> down = get(obs.port(), "/health");
                assertThat(down.statusCode()).isEqualTo(503);
                assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("NOT_RUNNING");
            } finally {
                obs.close();
                anomaly.close();
                coordinator.close();
            }
            PipelineIT.Run busy = PipelineIT.run("archiver", "--config", sandbox.configFile().toString(), "--metrics-port",
                    String.valueOf(busyPort()));
            assertThat(busy.code()).isNotZero();
            assertThat(busy.err()).contains("cannot serve /metrics and /health of archiver on 127.0.0.1:")
                    .contains("choose another with --metrics-port");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    private static ServerSocket held;

    /** A port something already listens on. */
    private static int busyPort() throws IOException {
        held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        return held.getLocalPort();
    }
}
