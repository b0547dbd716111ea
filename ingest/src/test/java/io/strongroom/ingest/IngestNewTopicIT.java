package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.CdcRecord;
import io.strongroom.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CDC topic created while ingest runs (a new tenant or table) is backed up within seconds: ingest's pattern
 * subscription finds it at its next metadata refresh, {@code ingest.topic-discovery-interval} (5 s), not Kafka's
 * default {@code metadata.max.age.ms} of 5 minutes.
 */
class IngestNewTopicIT {
    /** The discovery interval, the rebalance that adds the topic's partitions, and a commit (1 s), with room for load. */
    private static final Duration PICKUP_BOUND = Duration.ofSeconds(15);
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

    @Test
    void aCdcTopicCreatedWhileIngestRunsIsIngestedWithinSeconds() {
        // given ingest running, with one CDC topic already read
        CdcRecord first = oneRecord("acme");
        kafka.createTopics(1, first.topic());
        CdcProducer.produce(kafka.bootstrapServers(), List.of(first));
        IngestConfig config = new IngestConfig("new-topic-it", "cdcn\\..*", "cdcn\\.(?<tenant>[^.]+)\\..*",
                null, null, null, null, null, null, null, null);
        try (IngestService ingest = IngestService.start(config, props(), state)) {
            await("acme's event from the topic that existed at start on " + Topics.CHANGES.name())
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !changes("cdcn.acme.").isEmpty());

            // when a new tenant's topic appears and Debezium writes to it
            CdcRecord added = oneRecord("globex");
            long created = System.nanoTime();
            kafka.createTopics(1, added.topic());
            CdcProducer.produce(kafka.bootstrapServers(), List.of(added));

            // then its event is on strongroom.changes within seconds
            await("globex's event from the topic " + added.topic() + ", created after ingest started, on "
                    + Topics.CHANGES.name())
                    .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !changes("cdcn.globex.").isEmpty());
            Duration pickup = Duration.ofNanos(System.nanoTime() - created);
            System.out.printf("IngestNewTopicIT: a new CDC topic's first event reached %s %d ms after the topic was "
                    + "created (topic discovery interval %s)%n", Topics.CHANGES.name(), pickup.toMillis(),
                    config.topicDiscoveryInterval());
            // Kafka's default metadata.max.age.ms (300 s) would leave it unread for up to 5 minutes
            assertThat(pickup).as("time from the topic's creation to its event on %s", Topics.CHANGES.name())
                    .isLessThan(PICKUP_BOUND);
            assertThat(changes("cdcn.globex.")).singleElement().satisfies(e -> {
                assertThat(e.getTenant()).isEqualTo("globex");
                assertThat(e.getSource().getTopic()).isEqualTo(added.topic());
            });
        }
    }

    private static CdcRecord oneRecord(String tenant) {
        return new CdcGenerator(new CdcGenerator.Options(7, List.of(tenant), 1, CdcGenerator.DEFAULT_CANARY, 0.0,
                false, false, "cdcn", 1)).generate().get(0);
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
}
