package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class KafkaAuditTrailTest {
    private static final AuditRecord RECORD = new AuditRecord("p", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, "acme",
            "local://acme", "1", "seg", null);

    private final MockProducer<String, AuditEvent> producer = new MockProducer<>(false, null,
            Topics.AUDIT.keySerde().serializer(), Topics.AUDIT.valueSerde().serializer());

    @Test
    void whenTheBufferIsFullKeyOperationsWaitUntilKafkaAcknowledges() {
        KafkaAuditTrail trail = new KafkaAuditTrail(producer, "e", 2);
        trail.record(RECORD);
        trail.record(RECORD);
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> trail.record(RECORD));

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !third.isDone());
        producer.completeNext();
        await().atMost(Duration.ofSeconds(5)).until(third::isDone);
        assertThat(producer.history()).hasSize(3);
        assertThat(producer.history()).extracting(r -> r.value().getSequence()).containsExactly(0L, 1L, 2L);
        assertThat(producer.history()).allMatch(r -> r.key().equals("e") && r.topic().equals("strongroom.audit"));
    }

    @Test
    void aLostEventStopsFurtherKeyOperations() {
        KafkaAuditTrail trail = new KafkaAuditTrail(producer, "e", 10);
        trail.record(RECORD);
        producer.errorNext(new TimeoutException("broker gone"));
        assertThatThrownBy(() -> trail.record(RECORD))
                .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("refusing to run unaudited");
    }
}
