package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest against a real broker, fed by an independent producer (kcat, librdkafka). */
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
                out.add(r.value());
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

        IngestConfig config = new IngestConfig("kcat-it", "cdcx\\..*", "cdcx\\.(?<tenant>[^.]+)\\..*", null, null, null, null, null, null);
        try (IngestService ingest = IngestService.start(config, props(), state.resolve("kcat"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> changes("cdcx.").size() >= records.size());
        }
        List<ChangeEvent> out = new ArrayList<>(changes("cdcx."));
        out.sort(java.util.Comparator.comparingLong(e -> e.getSource().getOffset())); // spread over partitions by row key
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


}
