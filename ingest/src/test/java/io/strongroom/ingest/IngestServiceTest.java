package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties ingest runs with (the topology's behaviour is tested in IngestTopologyTest). */
class IngestServiceTest {
    @Test
    void anOperatorsLogAndContinueHandlersAreReplacedByFailingOnes() {
        Properties props = IngestService.streamsProperties(IngestConfig.defaults(), Map.of(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class.getName(),
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class,
                "default.production.exception.handler", "com.example.SkipEverything"), Path.of("state"));
        assertThat(props).containsEntry(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndFailProcessingExceptionHandler.class.getName())
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class.getName())
                .containsEntry(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class.getName())
                .doesNotContainKey("default.production.exception.handler");
    }

    @Test
    void theMainConsumerRefreshesItsPatternsTopicsEveryFiveSecondsByDefault() {
        // what Kafka Streams hands its consumers, not only what ingest puts in the properties
        StreamsConfig streams = new StreamsConfig(IngestService.streamsProperties(IngestConfig.defaults(),
                Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092"), Path.of("state")));
        assertThat(streams.getMainConsumerConfigs("strongroom-ingest", "ingest-1", 0))
                .containsEntry(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000L);
        // the restore consumer has no pattern: it keeps Kafka's default, and its metadata requests stay small
        assertThat(streams.getRestoreConsumerConfigs("ingest-1")).doesNotContainKey(ConsumerConfig.METADATA_MAX_AGE_CONFIG);
    }

    @Test
    void theTopicDiscoveryIntervalIsTheMainConsumersMetadataMaxAgeOverKafkaProperties() {
        IngestConfig config = new IngestConfig(null, null, null, null, null, null, null, null, null, null, null, null,
                Duration.ofSeconds(2));
        // kafka.properties' Kafka default (or anything else there) does not slow the discovery of new CDC topics down
        StreamsConfig streams = new StreamsConfig(IngestService.streamsProperties(config, Map.of(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ConsumerConfig.METADATA_MAX_AGE_CONFIG, 300_000,
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG), 300_000), Path.of("state")));
        assertThat(streams.getMainConsumerConfigs("strongroom-ingest", "ingest-1", 0))
                .containsEntry(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2_000L);
    }
}
