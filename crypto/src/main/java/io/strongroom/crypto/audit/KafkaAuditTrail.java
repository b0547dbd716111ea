package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a hash-chained audit trail on {@code strongroom.audit} (key: emitter). At most
 * {@code capacity} events are in flight: while Kafka is unavailable they wait in the producer and
 * further records block, so key operations wait rather than run unaudited. A send that fails for
 * good breaks the chain; from then on every record fails with {@link AuditUnavailableException}.
 */
public final class KafkaAuditTrail implements AuditTrail {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaAuditTrail.class);

    private final Producer<String, AuditEvent> producer;
    private final HashChain chain;
    private final Semaphore inFlight;
    private volatile Exception failure;

    public KafkaAuditTrail(Producer<String, AuditEvent> producer, String emitter, int capacity) {
        this.producer = producer;
        this.chain = new HashChain(emitter);
        this.inFlight = new Semaphore(capacity);
    }

    /**
     * A trail for {@code service}: its emitter id is the service name plus a random instance id.
     *
     * @param kafka base client properties
     * @param capacity events in flight before key operations wait
     */
    public static KafkaAuditTrail create(Map<String, Object> kafka, String service, int capacity) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE); // retry until Kafka is back
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Duration.ofMinutes(10).toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        KafkaProducer<String, AuditEvent> producer = new KafkaProducer<>(props, Topics.AUDIT.keySerde().serializer(),
                Topics.AUDIT.valueSerde().serializer());
        return new KafkaAuditTrail(producer, service + "-" + UUID.randomUUID().toString().substring(0, 8), capacity);
    }

    /** This trail's emitter id. */
    public String emitter() {
        return chain.emitter();
    }

    @Override
    public void record(AuditRecord record) {
        synchronized (chain) { // one chain, in send order
            if (failure != null) {
                throw new AuditUnavailableException("audit trail " + chain.emitter() + " failed earlier; refusing to run unaudited", failure);
            }
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuditUnavailableException("interrupted while waiting for the audit trail", e);
            }
            AuditEvent event = chain.next(record, System.currentTimeMillis());
            try {
                producer.send(new ProducerRecord<>(Topics.AUDIT.name(), chain.emitter(), event), (md, error) -> {
                    inFlight.release();
                    if (error != null) {
                        failure = error;
                        LOG.atError().addKeyValue("emitter", chain.emitter()).addKeyValue("sequence", event.getSequence())
                                .log("audit event lost, key operations stop: {}", error.getMessage());
                    }
                });
            } catch (RuntimeException e) {
                inFlight.release();
                failure = e;
                throw new AuditUnavailableException("cannot publish audit event: " + e.getMessage(), e);
            }
        }
    }

    /** Waits until every recorded event is acknowledged. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.flush();
        producer.close(Duration.ofSeconds(30));
    }
}
