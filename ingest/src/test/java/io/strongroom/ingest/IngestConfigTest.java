package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.Classification;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
    @Test
    void defaultsAreDocumentedValues() {
        IngestConfig c = IngestConfig.defaults();
        assertThat(c.topicPattern()).isEqualTo("cdc\\..*");
        assertThat(c.maxRecordBytes()).isEqualTo(1024 * 1024);
        assertThat(c.defaultClassification()).isEqualTo(Classification.CONFIDENTIAL);
        assertThat(c.topicDiscoveryInterval()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void invalidValuesNameTheKey() {
        assertThatThrownBy(() -> new IngestConfig(null, "cdc\\.(", null, null, null, null, null, null, null, null, null))
                .hasMessageStartingWith("ingest.topic-pattern is not a valid regular expression");
        assertThatThrownBy(() -> new IngestConfig(null, null, "cdc\\..*", null, null, null, null, null, null, null, null))
                .hasMessageStartingWith("ingest.tenant-pattern must contain a named group (?<tenant>...)");
        assertThatThrownBy(() -> new IngestConfig(null, null, null, null, null, 0, null, null, null, null, null))
                .hasMessage("ingest.max-record-bytes must be between 1 KiB and 64 MiB, got 0");
        assertThatThrownBy(() -> withTopicDiscoveryInterval(Duration.ofMillis(500)))
                .hasMessage("ingest.topic-discovery-interval must be between PT1S and PT5M, got PT0.5S");
        assertThatThrownBy(() -> withTopicDiscoveryInterval(Duration.ofMinutes(6)))
                .hasMessage("ingest.topic-discovery-interval must be between PT1S and PT5M, got PT6M");
        assertThat(withTopicDiscoveryInterval(Duration.ofMinutes(5)).topicDiscoveryInterval()).isEqualTo(Duration.ofMinutes(5));
    }

    private static IngestConfig withTopicDiscoveryInterval(Duration interval) {
        return new IngestConfig(null, null, null, null, null, null, null, null, null, null, null, null, interval);
    }
}
