package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyPublisherTest {
    @TempDir Path dir;

    @Test
    void createsMissingKeksAndPublishesTheirPrimaryVersionKeyedByKeyIdAndVersion() {
        LocalKms kms = TestKms.local(dir, false);
        MockProducer<String, KeyVersionEvent> producer = new MockProducer<>(true, null,
                Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        KeyPublisher publisher = new KeyPublisher(kms, producer, Duration.ofSeconds(5), "test");

        List<KeyVersionEvent> first = publisher.ensure(List.of("acme", "globex"));
        List<KeyVersionEvent> again = publisher.ensure(List.of("acme"));

        assertThat(first).extracting(KeyVersionEvent::getKeyId).containsExactly("local://acme", "local://globex");
        assertThat(first).allMatch(e -> e.getState() == KeyState.PRIMARY && e.getActor().equals("test"));
        assertThat(again.get(0).getVersion()).as("idempotent: no new key").isEqualTo(first.get(0).getVersion());
        assertThat(dir.resolve("acme.kek.json")).exists();
        ProducerRecord<String, KeyVersionEvent> sent = producer.history().get(0);
        assertThat(sent.topic()).isEqualTo("strongroom.keys");
        assertThat(sent.key()).isEqualTo("local://acme/" + first.get(0).getVersion());
    }
}
