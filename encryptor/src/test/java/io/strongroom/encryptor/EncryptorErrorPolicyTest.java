package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KmsUnavailableException;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.encryptor.internal.EncryptorTopology;
import io.strongroom.encryptor.internal.InputAnchor;
import io.strongroom.encryptor.internal.SegmentProcessor;
import io.strongroom.encryptor.internal.StateBinding;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptorErrorPolicyTest {
    @TempDir Path kmsDir;
    @TempDir Path stateDir;

    @Test
    void kmsFailuresReplaceTheThreadSoWorkResumesFromTheLastCommit() {
        assertThat(EncryptorService.onError(new StreamsException("in process", new KmsUnavailableException("down", null))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(EncryptorService.onError(new StreamsException(new KeyDisabledException("disabled"))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    @Test
    void kafkaNotAnsweringTheStateChecksReplacesTheThreadNeitherAcceptingNorRefusingTheState() {
        assertThat(EncryptorService.onError(new StreamsException("in init", new InputAnchor.UnavailableException(
                "cannot read the committed offset of strongroom.changes-0", new TimeoutException("x")))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(EncryptorService.onError(new StreamsException(new StateBinding.TamperedStateException("rolled back"))))
                .as("a refused state still stops it").isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void anythingElseStopsTheEncryptor() {
        assertThat(EncryptorService.onError(new StreamsException(new IllegalStateException("state store altered"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }

    @Test
    void anOperatorsLogAndContinueHandlersCannotMakeTheEncryptorSkipARecord() {
        LocalKms kms = TestKms.local(kmsDir, true);
        EncryptorConfig config = new EncryptorConfig("encryptor-test", 100, null, Duration.ofHours(1), null);
        // kafka.properties of an operator who wants a stream app to "keep going"
        Properties props = EncryptorService.streamsProperties(config, Map.of(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1",
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class.getName(),
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class.getName(),
                "default.deserialization.exception.handler", LogAndContinueExceptionHandler.class.getName()), stateDir);
        try (TopologyTestDriver driver = new TopologyTestDriver(EncryptorTopology.topology(config, "test", kms,
                TestTenantKeys.asking(kms), new SimpleMeterRegistry()), props, Instant.ofEpochMilli(1_000_000))) {
            TestInputTopic<String, byte[]> changes = driver.createInputTopic(Topics.CHANGES.name(), new StringSerializer(),
                    (topic, e) -> e, Instant.ofEpochMilli(1_000_000), Duration.ZERO);
            // undecodable, and its key names no tenant: the encryptor must stop at it, not log it and move on
            assertThatThrownBy(() -> changes.pipeInput(null, "not a change event".getBytes(StandardCharsets.UTF_8)))
                    .as("the record is not skipped").hasRootCauseInstanceOf(SegmentProcessor.UndecodableRecordException.class);
        }
        assertThat(props).containsEntry(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndFailProcessingExceptionHandler.class.getName())
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class.getName())
                .containsEntry(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class.getName())
                .doesNotContainKey("default.deserialization.exception.handler");
    }
}
