package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.schemas.ChangeEvents;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.CdcRecord;
import io.strongroom.testkit.EmbeddedKafka;
import io.strongroom.testkit.RequiredService;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest against a real broker: an independent producer (kcat, librdkafka), and a kill -9 in the middle of a stream. */
class IngestRealBrokerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedKafka kafka;
    @TempDir static Path state;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        kafka.createTopics(3, Topics.CHANGES.name(), Topics.INGEST_DLQ.name());
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static Map<String, Object> props() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private static List<ChangeEvent> changes(String topicPrefix) {
        List<ChangeEvent> out = new ArrayList<>();
        TopicReader.readToEnd(props(), Topics.CHANGES, r -> {
            if (r.value().getSource().getTopic().startsWith(topicPrefix)) {
                out.add(ChangeEvents.withText(r.value()));
            }
        });
        return out;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void debeziumJsonProducedByKcatIsIngested() throws Exception {
        RequiredService.require("kcat", onPath("kcat"), "apt-get install kcat");
        List<CdcRecord> records = new CdcGenerator(new CdcGenerator.Options(11, List.of("kcat"), 300,
                CdcGenerator.DEFAULT_CANARY, 0.0, false, false, "cdcx")).generate().stream()
                .filter(r -> r.topic().endsWith(".orders")).toList();
        String topic = records.get(0).topic();
        kafka.createTopics(1, topic);
        Process kcat = new ProcessBuilder("kcat", "-b", kafka.bootstrapServers(), "-t", topic, "-P", "-K", "\t",
                "-H", "producer=kcat").redirectErrorStream(true).start();
        try (OutputStream in = kcat.getOutputStream()) {
            for (CdcRecord r : records) {
                in.write(r.key());
                in.write('\t');
                in.write(r.value());
                in.write('\n');
            }
        }
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(kcat.exitValue()).as(new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();

        IngestConfig config = new IngestConfig("kcat-it", "cdcx\\..*", "cdcx\\.(?<tenant>[^.]+)\\..*", null, null, null, null, null, null, null, null);
        try (IngestService ingest = IngestService.start(config, props(), state.resolve("kcat"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> changes("cdcx.").size() >= records.size());
        }
        List<ChangeEvent> out = new ArrayList<>(changes("cdcx."));
        out.sort(Comparator.comparingLong(e -> e.getSource().getOffset())); // spread over partitions by row key
        assertThat(out).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) {
            ChangeEvent e = out.get(i);
            assertThat(e.getTenant()).isEqualTo("kcat");
            assertThat(e.getSource().getOffset()).isEqualTo(i);
            assertThat(JSON.readTree(e.getAfter() == null ? "null" : e.getAfter()))
                    .isEqualTo(JSON.readTree(records.get(i).value()).get("after"));
            assertThat(e.getHeaders()).anyMatch(h -> h.getKey().equals("producer"));
        }
    }



    @Test
    void killedMidStreamAndRestartedThereAreNoDuplicatesAndNoGaps() throws Exception {
        CdcGenerator gen = new CdcGenerator(new CdcGenerator.Options(5, List.of("crash", "crash2"), 20_000,
                CdcGenerator.DEFAULT_CANARY, 0.0, false, true, "cdc"));
        kafka.createTopics(3, gen.topics().toArray(String[]::new));
        var produced = CdcProducer.produce(kafka.bootstrapServers(), gen.generate());

        Process first = ingestProcess(1);
        await().atMost(Duration.ofSeconds(90)).until(() -> !changes("cdc.crash").isEmpty());
        first.destroyForcibly(); // SIGKILL: no shutdown, an open transaction left behind
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int beforeRestart = changes("cdc.crash").size();

        Process second = ingestProcess(2);
        try {
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> changes("cdc.crash").size() >= produced.size());
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
        List<ChangeEvent> out = changes("cdc.crash");
        Set<String> expected = produced.stream()
                .map(p -> p.record().topic() + "/" + p.partition() + "/" + p.offset()).collect(Collectors.toSet());
        Map<String, Integer> seen = new HashMap<>();
        out.forEach(e -> seen.merge(e.getEventId(), 1, Integer::sum));
        assertThat(beforeRestart).as("killed mid-stream").isLessThan(produced.size());
        assertThat(seen.values()).as("no duplicates").allMatch(n -> n == 1);
        assertThat(seen.keySet()).as("no gaps").isEqualTo(expected);
    }

    private static Process ingestProcess(int n) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                IngestProcess.class.getName(), kafka.bootstrapServers(), state.resolve("crash").toString())
                .redirectErrorStream(true).redirectOutput(Path.of("target", "crash-ingest-" + n + ".log").toFile()).start();
    }
}
