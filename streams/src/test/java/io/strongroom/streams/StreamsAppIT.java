package io.strongroom.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link StreamsApp} on a real broker: it processes exactly once; a record its topology refuses stops it under a
 * shut-down policy, and {@link StreamsApp#failed()} then completes at once, naming the record's error, without a
 * record after it being written; under a replace-thread policy the same failure is retried, not fatal.
 */
class StreamsAppIT {
    private static EmbeddedKafka kafka;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static Topology upperCasing(String in, String out) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(in, Consumed.with(Serdes.String(), Serdes.String())).mapValues(v -> {
            if (v.equals("poison")) {
                throw new IllegalArgumentException("record 'poison' cannot be processed");
            }
            return v.toUpperCase();
        }).to(out, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    private static void produce(String topic, String... values) throws ExecutionException, InterruptedException {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                p.send(new ProducerRecord<>(topic, "k", v)).get();
            }
        }
    }

    /** What {@code topic} holds, committed records only, read back from its start until {@code expected} arrive. */
    private static List<String> readBack(String topic, int expected) {
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic + System.nanoTime()), new StringDeserializer(),
                new StringDeserializer())) {
            c.subscribe(List.of(topic));
            List<String> values = new ArrayList<>();
            Awaitility.await("%d records on %s".formatted(expected, topic)).atMost(Duration.ofSeconds(60)).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return values.size() >= expected;
            });
            Awaitility.await("3 s without another record on " + topic).atMost(Duration.ofSeconds(30))
                    .pollDelay(Duration.ZERO).until(() -> {
                        int before = values.size();
                        c.poll(Duration.ofSeconds(3)).forEach(r -> values.add(r.value()));
                        return values.size() == before;
                    });
            return values;
        }
    }

    @Test
    void aRecordTheTopologyRefusesStopsTheAppAndFailedNamesWhy() throws Exception {
        kafka.createTopics(1, "in-1", "out-1");
        produce("in-1", "a", "b", "poison", "c");
        Properties props = StreamsApp.properties("app-1", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                Files.createDirectories(dir.resolve("state")));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        try (StreamsApp app = StreamsApp.start("upper", upperCasing("in-1", "out-1"), props,
                StreamsApp.shutDownOnError("upper"), s -> { })) {
            assertThat(app.failed()).failsWithin(Duration.ofSeconds(60)).withThrowableThat()
                    .havingRootCause().withMessageContaining("record 'poison' cannot be processed");
            assertThat(app.state()).isEqualTo(KafkaStreams.State.ERROR);
            assertThat(app.failure()).isPresent();
            assertThat(app.failed().handle((ok, e) -> e.getMessage()).get(1, TimeUnit.SECONDS))
                    .startsWith("upper stopped: its Kafka Streams client is in state ERROR: ");
        }
        // exactly once: the transaction that held the refused record is aborted, so what was before it in that
        // transaction is not visible either (it is processed again once the cause is fixed); nothing after it ever is
        List<String> out = readBack("out-1", 0);
        assertThat(out).doesNotContain("C").doesNotHaveDuplicates().isSubsetOf("A", "B");
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    }

    @Test
    void aHealthyAppRunsUntilClosedAndIsNeverFailed() throws Exception {
        kafka.createTopics(1, "in-2", "out-2");
        produce("in-2", "x", "y");
        Properties props = StreamsApp.properties("app-2", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                Files.createDirectories(dir.resolve("state")));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        StreamsApp app = StreamsApp.start("upper", upperCasing("in-2", "out-2"), props, StreamsApp.shutDownOnError("upper"),
                s -> { });
        try {
            assertThat(readBack("out-2", 2)).containsExactly("X", "Y");
            Awaitility.await("the app to be running").atMost(Duration.ofSeconds(30))
                    .until(() -> app.state() == KafkaStreams.State.RUNNING);
        } finally {
            app.close();
        }
        assertThat(app.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThat(app.failed()).isNotDone(); // closing is not failing
    }
}
