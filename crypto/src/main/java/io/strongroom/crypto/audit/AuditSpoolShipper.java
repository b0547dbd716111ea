package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the spool of an emitter that died ({@link AuditSpool.Orphan}) to {@code strongroom.audit}:
 * finds the highest sequence of that emitter already on the topic (reading its partition from the
 * spool's latest acknowledgement marker on, or from the beginning without one), sends the events
 * after it, in order, waits for their acknowledgement and deletes the spool. The emitter's chain on
 * the topic then runs on without a gap, and nothing is sent twice.
 */
final class AuditSpoolShipper {
    private static final Logger LOG = LoggerFactory.getLogger(AuditSpoolShipper.class);

    /** The highest sequence of {@code emitter} on the topic, at or after {@code from} (null: from the beginning). */
    interface TopicHead {
        long highestSequence(String emitter, AuditSpool.Ack from) throws Exception;
    }

    private AuditSpoolShipper() {}

    /** Ships {@code orphan}; returns how many events were sent. */
    static int ship(AuditSpool.Orphan orphan, Producer<String, byte[]> producer, TopicHead head) throws Exception {
        return ship(orphan, producer, head, null);
    }

    /**
     * As {@link #ship(AuditSpool.Orphan, Producer, TopicHead)}; then, with {@code closer}, also sends
     * the head it makes to follow the orphan's newest spooled event: a signed closing head, so the
     * events the dead emitter had not signed yet become authentic and nothing can follow them. Not
     * when the spool holds no event (all acknowledged and compacted away) or ends with a closing head,
     * nor when {@code closer} returns null (not its emitter).
     */
    static int ship(AuditSpool.Orphan orphan, Producer<String, byte[]> producer, TopicHead head,
            Function<AuditEvent, HashChain.Written> closer) throws Exception {
        AuditSpool.Contents contents = orphan.read();
        String emitter = orphan.emitter();
        long highest = head.highestSequence(emitter, contents.latestAck());
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        long expected = highest + 1;
        for (HashChain.Written w : contents.events()) {
            AuditEvent e = w.event();
            if (!e.getEmitter().equals(emitter) || e.getSequence() <= highest) {
                continue;
            }
            if (e.getSequence() != expected) {
                LOG.atError().addKeyValue("emitter", emitter).addKeyValue("expected", expected)
                        .addKeyValue("sequence", e.getSequence()).log("audit spool {} has a gap", orphan.file());
            }
            expected = e.getSequence() + 1;
            sent.add(producer.send(new ProducerRecord<>(Topics.AUDIT.name(), emitter, w.bytes()))); // as written: its hash covers them
        }
        List<HashChain.Written> spooled = contents.events().stream().filter(w -> w.event().getEmitter().equals(emitter)).toList();
        if (closer != null && !spooled.isEmpty()) {
            AuditEvent last = spooled.get(spooled.size() - 1).event();
            HashChain.Written close = AuditChainHead.Kind.CLOSE.name().equalsIgnoreCase(
                    last.getAttributes().get(AuditChainHead.KIND_ATTRIBUTE)) ? null : closer.apply(last);
            if (close != null) {
                sent.add(producer.send(new ProducerRecord<>(Topics.AUDIT.name(), emitter, close.bytes())));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new AuditUnavailableException("cannot ship audit spool " + orphan.file() + ": " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
        LOG.atInfo().addKeyValue("emitter", emitter).addKeyValue("events", sent.size())
                .log("shipped the audit spool of a stopped emitter ({})", orphan.file());
        orphan.delete();
        return sent.size();
    }

    /**
     * Reads the emitter's partition of the audit topic with a consumer of {@code kafka}'s properties.
     * Without READ on the topic (services only write it) it trusts the spool's latest acknowledgement
     * marker instead: the events in flight when the emitter stopped may then reach the topic twice.
     */
    static TopicHead reading(Map<String, Object> kafka, Producer<String, byte[]> producer, Duration timeout) {
        TopicHead read = readingTopic(kafka, producer, timeout);
        return (emitter, from) -> {
            try {
                return read.highestSequence(emitter, from);
            } catch (AuthorizationException e) {
                LOG.atWarn().addKeyValue("emitter", emitter).log("cannot read {} ({}): shipping every spooled event after the "
                        + "last acknowledged one; events in flight when the emitter stopped may appear twice (grant READ on "
                        + "{} to avoid it)", Topics.AUDIT.name(), e.getMessage(), Topics.AUDIT.name());
                return from == null ? -1 : from.sequence();
            }
        };
    }

    private static TopicHead readingTopic(Map<String, Object> kafka, Producer<String, byte[]> producer, Duration timeout) {
        return (emitter, from) -> {
            int partition = from != null ? from.partition()
                    : Utils.toPositive(Utils.murmur2(Topics.AUDIT.keySerde().serializer().serialize(Topics.AUDIT.name(), emitter)))
                            % producer.partitionsFor(Topics.AUDIT.name()).size();
            Map<String, Object> props = new HashMap<>(kafka);
            props.remove(ConsumerConfig.GROUP_ID_CONFIG);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            try (KafkaConsumer<String, AuditEvent> consumer = new KafkaConsumer<>(props, Topics.AUDIT.keySerde().deserializer(),
                    Topics.AUDIT.valueSerde().deserializer())) {
                TopicPartition tp = new TopicPartition(Topics.AUDIT.name(), partition);
                consumer.assign(List.of(tp));
                long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
                if (from != null) {
                    consumer.seek(tp, from.offset());
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
                long highest = from != null ? from.sequence() : -1;
                Instant deadline = Instant.now().plus(timeout.multipliedBy(6));
                while (consumer.position(tp, timeout) < end) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new AuditUnavailableException("reading " + tp + " to offset " + end + " took longer than "
                                + timeout.multipliedBy(6), null);
                    }
                    for (ConsumerRecord<String, AuditEvent> r : consumer.poll(Duration.ofMillis(500))) {
                        if (emitter.equals(r.key()) && r.value() != null) {
                            highest = Math.max(highest, r.value().getSequence());
                        }
                    }
                }
                return highest;
            }
        };
    }
}
