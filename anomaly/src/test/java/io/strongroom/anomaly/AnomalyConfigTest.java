package io.strongroom.anomaly;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AnomalyConfigTest {
    @Test
    void badSettingsAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> new AnomalyConfig(null, null, null, null, null, null, null, null, "late"))
                .hasMessageContaining("anomaly.restore-window must be HH:mm-HH:mm");
        assertThatThrownBy(() -> new AnomalyConfig(null, null, 0, null, null, null, null, null, null))
                .hasMessageContaining("anomaly.failure-threshold");
        assertThatThrownBy(() -> new AnomalyConfig(null, null, null, 1.0, null, null, null, null, null))
                .hasMessageContaining("anomaly.unwrap-factor");
    }
}
