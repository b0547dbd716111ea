package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Key uses audited while Kafka is down survive a kill -9 of the process that made them. */
class AuditSpoolIT {
    private static final int USES = 20;

    /** How Kafka fails. */
    enum Outage {
        /** the broker stops after the process has published an event (it knows the topic's partitions) */
        BROKER_STOPPED,
        /** no broker yet when the process starts (a port with nothing): it never learnt the topic's partitions */
        NO_BROKER_YET
    }

    @ParameterizedTest
    @EnumSource(Outage.class)
    void aKeyUseBeforeAKillIsOnTheAuditTopic(Outage outage) throws Exception {
        Path dir = Files.createTempDirectory("strongroom-audit-spool-it-");
        int port = freePort();
        int controllerPort = freePort();
        EmbeddedKafka kafka = null;
        Process child = null;
        try {
            if (outage == Outage.BROKER_STOPPED) {
                kafka = EmbeddedKafka.startAt(dir.resolve("kafka"), port, controllerPort);
                kafka.createTopics(3, Topics.AUDIT.name());
            }
            String bootstrap = "127.0.0.1:" + port;
            Path cfg = dir.resolve("strongroom.yaml");
            Files.writeString(cfg, String.join("\n", "environment: test", "data-dir: " + dir.resolve("state"), "kafka:",
                    "  bootstrap-servers: " + bootstrap, Sandbox.s3Yaml("http://127.0.0.1:1", "unused"),
                    Sandbox.localKmsYaml(dir.resolve("kms"), Sandbox.passphraseFile(dir)), ""));
            Map<String, Object> client = Map.of("bootstrap.servers", bootstrap);

            Path logs = Files.createDirectories(Path.of("target", "audit-spool-it-" + outage));
            Path out = logs.resolve("child.out");
            child = start(cfg, out, logs.resolve("child.err"), "warm", String.valueOf(USES));
            Process first = child;
            await().atMost(Duration.ofSeconds(90)).until(() -> !first.isAlive() || lines(out).contains("used warm"));
            assertThat(child.isAlive()).as("child alive; stderr: %s", tail(logs.resolve("child.err"))).isTrue();
            if (outage == Outage.BROKER_STOPPED) {
                await().atMost(Duration.ofSeconds(60)).until(() -> segments(audit(client)).contains("warm")); // Kafka was up
                kafka.close(); // the outage
                kafka = null;
            }
            try (OutputStream stdin = child.getOutputStream()) {
                stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> !first.isAlive() || lines(out).contains("used seg-" + (USES - 1)));
            assertThat(lines(out)).as("stderr: %s", tail(logs.resolve("child.err"))).contains("used seg-" + (USES - 1));
            List<String> used = lines(out).stream().filter(l -> l.startsWith("used ")).map(l -> l.substring(5)).toList();
            child.destroyForcibly(); // kill -9, Kafka still down
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            kafka = EmbeddedKafka.startAt(dir.resolve("kafka"), port, controllerPort); // Kafka is back (or there at last)
            kafka.createTopics(3, Topics.AUDIT.name());
            Path outAgain = logs.resolve("child-again.out");
            child = start(cfg, outAgain, logs.resolve("child-again.err"), "once");
            assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("restarted child done").isTrue();
            assertThat(child.exitValue()).as("stderr: %s", tail(logs.resolve("child-again.err"))).isZero();

            List<AuditEvent> events = audit(client);
            assertThat(segments(events)).as("every key use the killed process returned is on %s", Topics.AUDIT.name())
                    .containsAll(used).contains("once");
            List<AuditVerifier.Positioned> positioned = IntStream.range(0, events.size())
                    .mapToObj(i -> new AuditVerifier.Positioned("event " + i, events.get(i))).toList();
            AuditVerifier.Report report = AuditVerifier.verify(positioned);
            assertThat(report.problems()).as("the chains verify").isEmpty();
            assertThat(report.emitters()).hasSize(2);
        } finally {
            if (child != null) {
                child.destroyForcibly();
            }
            if (kafka != null) {
                kafka.close();
            }
            Dirs.deleteRecursively(dir);
        }
    }

    private static Process start(Path cfg, Path out, Path err, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                KeyUseChild.class.getName(), cfg.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    }

    private static List<AuditEvent> audit(Map<String, Object> client) {
        List<AuditEvent> events = new ArrayList<>();
        TopicReader.readToEnd(client, Topics.AUDIT, r -> events.add(r.value()));
        return events;
    }

    private static List<String> segments(List<AuditEvent> events) {
        return events.stream().filter(e -> e.getAction() == AuditAction.GENERATE_DEK && e.getSegmentId() != null)
                .map(AuditEvent::getSegmentId).toList();
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    private static String tail(Path file) throws IOException {
        List<String> l = lines(file);
        return String.join("\n", l.subList(Math.max(0, l.size() - 30), l.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
