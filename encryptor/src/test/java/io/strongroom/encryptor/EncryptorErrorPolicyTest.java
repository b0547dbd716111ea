package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.KmsUnavailableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class EncryptorErrorPolicyTest {
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
}
