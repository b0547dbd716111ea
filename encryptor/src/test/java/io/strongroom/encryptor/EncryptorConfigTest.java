package io.strongroom.encryptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EncryptorConfigTest {
    @Test
    void configErrorsNameTheKey() {
        assertThatThrownBy(() -> new EncryptorConfig(null, 0, null, null, null))
                .hasMessage("encryptor.segment-max-records must be between 1 and 1000000, got 0");
        assertThatThrownBy(() -> new EncryptorConfig(null, null, 10, null, null))
                .hasMessage("encryptor.segment-max-bytes must be between 1 KiB and 64 MiB, got 10");
        assertThat(EncryptorConfig.defaults().punctuateInterval()).isEqualTo(Duration.ofSeconds(5));
    }
}
