package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRotatorTest {
    private static final Duration T = Duration.ofSeconds(5);
    @TempDir Path dir;

    /**
     * Real time plus an offset the test moves forward. The KMS stamps new versions with the real time, so
     * once the KMS has acted the test puts the clock back to real time ({@link #reset}).
     */
    static final class MovableClock extends Clock {
        private volatile Duration offset = Duration.ZERO;

        void advance(Duration d) {
            offset = offset.plus(d);
        }

        void reset() {
            offset = Duration.ZERO;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @Test
    void rotatesOnlyTheKeysWhosePrimaryIsOlderThanTheirPolicyAndPublishesEveryVersionsState() {
        LocalKms kms = TestKms.local(dir, false);
        MockProducer<String, KeyVersionEvent> producer = new MockProducer<>(true, null,
                Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        MovableClock clock = new MovableClock();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, RotationPolicy> policies = Map.of("acme", new RotationPolicy(Duration.ofMinutes(1), null, null));
        KeyRotator rotator = new KeyRotator(kms, new KeyPublisher(kms, producer, T, "coordinator"), T,
                t -> policies.getOrDefault(t, RotationPolicy.defaults()), clock, registry);

        assertThat(rotator.runOnce(List.of("acme", "globex"))).as("new keys are fresh").isEmpty();
        assertThat(registry.get("strongroom.keys.rotation.overdue").tag("tenant", "acme").gauge().value()).isZero();

        clock.advance(Duration.ofMinutes(2));
        assertThat(registry.get("strongroom.keys.rotation.overdue").tag("tenant", "acme").gauge().value()).isEqualTo(1);
        producer.clear();
        assertThat(rotator.runOnce(List.of("acme", "globex"))).containsExactly("acme");
        clock.reset();
        List<KeyVersionEvent> acme = producer.history().stream().map(ProducerRecord::value)
                .filter(e -> e.getTenant().equals("acme")).toList();
        assertThat(acme).extracting(e -> e.getVersion() + " " + e.getState())
                .containsExactly("1 " + KeyState.DECRYPT_ONLY, "2 " + KeyState.PRIMARY);
        assertThat(acme).allMatch(e -> e.getReason().equals("rotation"));
        assertThat(rotator.status().get("globex").primaryVersion()).as("globex's policy: 90 days").isEqualTo("1");
        assertThat(registry.get("strongroom.keys.rotation.overdue").tag("tenant", "acme").gauge().value()).isZero();
        assertThat(rotator.runOnce(List.of("acme"))).as("idempotent").isEmpty();
    }

    @Test
    void aCrashBetweenTheKmsRotationAndItsPublicationConvergesOnExactlyOneNewPrimary() {
        LocalKms kms = TestKms.local(dir, false);
        MockProducer<String, KeyVersionEvent> producer = new MockProducer<>(true, null,
                Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        MovableClock clock = new MovableClock();
        KeyRotator rotator = new KeyRotator(kms, new KeyPublisher(kms, producer, T, "coordinator"), T,
                t -> new RotationPolicy(Duration.ofMinutes(1), null, null), clock, new SimpleMeterRegistry());
        rotator.runOnce(List.of("acme"));
        clock.advance(Duration.ofMinutes(2));
        Kmses.await(kms.rotate("local://acme"), T); // the coordinator died right after this, before publishing
        clock.reset();
        producer.clear();

        KeyRotator restarted = new KeyRotator(kms, new KeyPublisher(kms, producer, T, "coordinator"), T,
                t -> new RotationPolicy(Duration.ofMinutes(1), null, null), clock, new SimpleMeterRegistry());
        assertThat(restarted.runOnce(List.of("acme"))).as("the new primary is fresh: no second rotation").isEmpty();
        assertThat(Kmses.await(kms.describe("local://acme"), T)).hasSize(2).filteredOn(v -> v.primary()).hasSize(1);
        assertThat(producer.history()).extracting(r -> r.value().getVersion() + " " + r.value().getState())
                .containsExactly("1 " + KeyState.DECRYPT_ONLY, "2 " + KeyState.PRIMARY);
    }
}
