package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class EmbeddedServicesIT {
    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        s3 = EmbeddedS3.start();
    }

    @AfterAll
    static void stop() {
        s3.close();
        kafka.close();
    }

    @Test
    void producedCdcRecordsAreConsumedBackWithKeysHeadersAndTimestamps() {
        CdcGenerator gen = new CdcGenerator(CdcGenerator.Options.of(200, "acme"));
        kafka.createTopics(2, gen.topics().toArray(String[]::new));
        List<CdcProducer.Produced> produced = CdcProducer.produce(kafka.bootstrapServers(), gen.generate());

        List<ConsumerRecord<byte[], byte[]>> consumed = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(gen.topics());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumed.size() < produced.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(consumed::add);
            }
        }
        assertThat(consumed).hasSize(200);
        CdcProducer.Produced withHeader = produced.stream().filter(p -> !p.record().headers().isEmpty()).findFirst().orElseThrow();
        ConsumerRecord<byte[], byte[]> match = consumed.stream()
                .filter(c -> c.topic().equals(withHeader.record().topic()) && c.partition() == withHeader.partition()
                        && c.offset() == withHeader.offset()).findFirst().orElseThrow();
        assertThat(match.key()).isEqualTo(withHeader.record().key());
        assertThat(match.timestamp()).isEqualTo(withHeader.record().timestampMs());
        assertThat(match.headers().lastHeader("traceparent").value()).isEqualTo(withHeader.record().headers().get(0).getValue());
    }

    @Test
    void s3ServerStoresObjectsAndRefusesToOverwriteOnConditionalPut() {
        s3.createBucket("it-bucket");
        try (S3Client client = s3.client()) {
            client.putObject(b -> b.bucket("it-bucket").key("a/b").ifNoneMatch("*"), RequestBody.fromString("one"));
            assertThatThrownBy(() -> client.putObject(b -> b.bucket("it-bucket").key("a/b").ifNoneMatch("*"),
                    RequestBody.fromString("two")))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
            assertThat(client.getObjectAsBytes(b -> b.bucket("it-bucket").key("a/b")).asUtf8String()).isEqualTo("one");
        }
    }
}
