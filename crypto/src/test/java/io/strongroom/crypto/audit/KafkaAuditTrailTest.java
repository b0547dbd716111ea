package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaAuditTrailTest {
    private static final AuditRecord RECORD = new AuditRecord("p", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, "acme",
            "local://acme", "1", "seg", null);

    @TempDir Path dir;

    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private final MockProducer<String, byte[]> producer = new MockProducer<>(false, null,
            Topics.AUDIT.keySerde().serializer(), new ByteArraySerializer());

    private static AuditEvent value(ProducerRecord<String, byte[]> r) {
        return SERDE.decode("mock", r.value());
    }

    private KafkaAuditTrail trail(String emitter, int capacity, AuditSpoolShipper.TopicHead head) {
        return new KafkaAuditTrail(producer, emitter, capacity, dir, head);
    }

    @Test
    void whenTheBufferIsFullKeyOperationsWaitUntilKafkaAcknowledges() {
        KafkaAuditTrail trail = trail("e", 2, (e, from) -> -1);
        trail.record(RECORD);
        trail.record(RECORD);
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> trail.record(RECORD));

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !third.isDone());
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 2);
        producer.completeNext();
        await().atMost(Duration.ofSeconds(5)).until(() -> third.isDone() && producer.history().size() == 3);
        assertThat(producer.history()).extracting(r -> value(r).getSequence()).containsExactly(0L, 1L, 2L);
        assertThat(producer.history()).allMatch(r -> r.key().equals("e") && r.topic().equals("strongroom.audit"));
    }

    @Test
    void aLostEventStopsFurtherKeyOperations() {
        KafkaAuditTrail trail = trail("e", 10, (e, from) -> -1);
        trail.record(RECORD);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 1);
        producer.errorNext(new TimeoutException("broker gone"));
        assertThatThrownBy(() -> trail.record(RECORD))
                .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("refusing to run unaudited");
    }

    @Test
    void aRecordedEventIsInTheSpoolBeforeKafkaAcknowledgesIt() throws Exception {
        KafkaAuditTrail trail = trail("e", 10, (e, from) -> -1);
        trail.record(RECORD); // returns although Kafka never acknowledges
        trail.record(RECORD);
        Path spool = trail.spoolFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(AuditSpool.read(spool).events()).extracting(w -> w.event().getSequence()).containsExactly(0L, 1L);
    }

    @Test
    void aStoppedEmittersSpoolIsShippedFirstWithoutWhatTheTopicHas() throws Exception {
        AuditSpool dead = AuditSpool.create(dir, "dead", 1 << 20);
        HashChain chain = new HashChain("dead");
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            HashChain.Written e = chain.append(RECORD, 1000 + i);
            events.add(e.event());
            dead.awaitDurable(dead.append(e, i == 2 ? new AuditSpool.Ack(1, 41, 1) : null));
        }
        dead.close(); // killed: the file stays
        List<AuditSpool.Ack> asked = new ArrayList<>();
        KafkaAuditTrail trail = trail("alive", 10, (emitter, from) -> {
            asked.add(from);
            return 1; // sequences 0 and 1 reached the topic
        });
        trail.record(RECORD);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 3);
        assertThat(asked).containsExactly(new AuditSpool.Ack(1, 41, 1));
        assertThat(producer.history()).extracting(r -> r.key() + "/" + value(r).getSequence())
                .containsExactly("dead/2", "dead/3", "alive/0");
        assertThat(Files.exists(dir.resolve("dead.spool"))).as("a shipped spool is deleted").isFalse();
        assertThat(Files.exists(dir.resolve("dead.lock"))).isFalse();
    }

    @Test
    void aLargeSpoolKeepsOnlyWhatKafkaHasNotAcknowledged() throws Exception {
        AuditSpool spool = AuditSpool.create(dir, "e", 1); // rewritten before every append
        HashChain chain = new HashChain("e");
        for (int i = 0; i < 5; i++) {
            spool.awaitDurable(spool.append(chain.append(RECORD, i), i >= 3 ? new AuditSpool.Ack(0, 100 + i - 3, i - 3) : null));
        }
        AuditSpool.Contents contents = AuditSpool.read(spool.file());
        assertThat(contents.latestAck()).isEqualTo(new AuditSpool.Ack(0, 101, 1));
        assertThat(contents.events()).extracting(w -> w.event().getSequence()).containsExactly(2L, 3L, 4L);
        spool.closeAndDelete();
        assertThat(dir).isEmptyDirectory();
    }
}
