package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a hash-chained audit trail on {@code strongroom.audit} (key: emitter). Each event is
 * first appended to the emitter's {@link AuditSpool} in the spool directory and forced to disk
 * (group commit) before {@link #record} returns, so the key operation it records returns only
 * once its event is durable; a sender thread then publishes the events in chain order. A process
 * killed while Kafka is away loses none of them: the next trail started on the same spool
 * directory first ships the spools of stopped emitters (only what the topic lacks), then its own
 * events. At most {@code capacity} events are unacknowledged by Kafka; further records wait. A
 * send that fails for good breaks the chain; from then on every record fails with
 * {@link AuditUnavailableException}.
 */
public final class KafkaAuditTrail implements AuditTrail {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaAuditTrail.class);
    /** A spool whose events are all on the topic is emptied past this size. */
    static final long COMPACT_ABOVE = 1 << 20;

    private final Producer<String, byte[]> producer;
    private final HashChain chain;
    private final Semaphore inFlight;
    private final AuditSpool spool;
    private final Path spoolDir;
    private final AuditSpoolShipper.TopicHead topicHead;
    private final BlockingQueue<HashChain.Written> toSend = new LinkedBlockingQueue<>();
    private final Thread sender;
    private volatile AuditSpool.Ack lastAck;
    private volatile Exception failure;
    private volatile boolean closing;
    private final Object acked = new Object();
    private final AuditSigning signing;
    private final String principal;
    private int sinceHead; // events appended since the last signed head (guarded by chain)
    private long lastHeadAt;
    private boolean closedHead; // the closing head is written: nothing may follow (guarded by chain)

    /**
     * @param spoolDir where emitters keep their spools (created 0700)
     * @param topicHead how to find the highest sequence of a stopped emitter on the topic
     */
    KafkaAuditTrail(Producer<String, byte[]> producer, String emitter, int capacity, Path spoolDir,
            AuditSpoolShipper.TopicHead topicHead) {
        this(producer, emitter, capacity, spoolDir, topicHead, null, null);
    }

    /**
     * @param signing how to sign the chain, or null for an unsigned chain (as before issue 19)
     * @param principal the principal the chain's heads name (the service)
     */
    KafkaAuditTrail(Producer<String, byte[]> producer, String emitter, int capacity, Path spoolDir,
            AuditSpoolShipper.TopicHead topicHead, AuditSigning signing, String principal) {
        this.signing = signing;
        this.principal = principal;
        if (signing != null && !AuditChainHead.mayName(signing.identity().role(), principal)) {
            throw new IllegalArgumentException("audit signing identity " + signing.identity().keyId() + " (role "
                    + signing.identity().role() + ") may not sign the audit chain of " + principal);
        }
        this.producer = producer;
        this.chain = new HashChain(emitter);
        this.inFlight = new Semaphore(capacity);
        this.spoolDir = spoolDir;
        this.topicHead = topicHead;
        this.spool = AuditSpool.create(spoolDir, emitter, COMPACT_ABOVE);
        if (signing != null) {
            synchronized (chain) {
                head(AuditChainHead.Kind.OPEN, true); // binds this emitter to its key before any event
            }
        }
        this.sender = new Thread(this::send, "strongroom-audit-" + emitter);
        sender.setDaemon(true);
        sender.start();
    }

    /**
     * A trail for {@code service}: its emitter id is the service name plus a random instance id.
     *
     * @param kafka base client properties
     * @param capacity events unacknowledged by Kafka before key operations wait
     * @param spoolDir where the service's emitters keep their spools (its data directory)
     */
    public static KafkaAuditTrail create(Map<String, Object> kafka, String service, int capacity, Path spoolDir) {
        return create(kafka, service, capacity, spoolDir, null);
    }

    /**
     * As {@link #create(Map, String, int, Path)}, signing the chain with {@code signing} (null: unsigned).
     *
     * @throws IllegalArgumentException if the identity's role may not name {@code service} ({@link AuditChainHead#mayName})
     */
    public static KafkaAuditTrail create(Map<String, Object> kafka, String service, int capacity, Path spoolDir,
            AuditSigning signing) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE); // retry until Kafka is back
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Duration.ofMinutes(10).toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, Topics.AUDIT.keySerde().serializer(),
                new ByteArraySerializer()); // the bytes HashChain wrote and hashed, never re-encoded
        try {
            return new KafkaAuditTrail(producer, service + "-" + UUID.randomUUID().toString().substring(0, 8), capacity,
                    spoolDir, AuditSpoolShipper.reading(kafka, producer, Duration.ofSeconds(30)), signing, service);
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /** This trail's emitter id. */
    public String emitter() {
        return chain.emitter();
    }

    /** Its spool file. */
    Path spoolFile() {
        return spool.file();
    }

    @Override
    public void record(AuditRecord record) {
        long position;
        synchronized (chain) { // one chain, in spool and send order
            if (failure != null) {
                throw new AuditUnavailableException("audit trail " + chain.emitter() + " failed earlier; refusing to run unaudited", failure);
            }
            if (closedHead) {
                throw new AuditUnavailableException("audit trail " + chain.emitter() + " is closed; refusing to run unaudited", null);
            }
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuditUnavailableException("interrupted while waiting for the audit trail", e);
            }
            position = enqueue(chain.append(record, System.currentTimeMillis()));
            if (signing != null && ++sinceHead >= signing.everyEvents()
                    || signing != null && System.nanoTime() - lastHeadAt >= signing.every().toNanos()) {
                position = head(AuditChainHead.Kind.PERIODIC, true);
            }
        }
        spool.awaitDurable(position); // outside the lock: concurrent callers share one fsync
    }

    /** Spools and queues {@code event}; the caller holds the chain's lock and a permit. */
    private long enqueue(HashChain.Written event) {
        try {
            long position = spool.append(event, lastAck);
            toSend.add(event);
            return position;
        } catch (RuntimeException e) {
            inFlight.release();
            failure = e;
            throw e;
        }
    }

    /**
     * Appends a signed head (caller holds the chain's lock); returns its spool position, or -1 if
     * {@code wait} is false and Kafka's buffer is full (the next chance signs).
     */
    private long head(AuditChainHead.Kind kind, boolean wait) {
        if (wait) {
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuditUnavailableException("interrupted while waiting for the audit trail", e);
            }
        } else if (!inFlight.tryAcquire()) {
            return -1;
        }
        long position = enqueue(AuditChainHead.append(chain, signing.identity(), principal, kind, System.currentTimeMillis()));
        sinceHead = 0;
        lastHeadAt = System.nanoTime();
        return position;
    }

    /** Signs a head once {@code signing.every} has passed with events unsigned (sender thread). */
    private void signIfDue() {
        if (signing == null) {
            return;
        }
        long position = -1;
        synchronized (chain) {
            if (failure == null && !closedHead && sinceHead > 0 && System.nanoTime() - lastHeadAt >= signing.every().toNanos()) {
                position = head(AuditChainHead.Kind.PERIODIC, false);
            }
        }
        if (position >= 0) {
            spool.awaitDurable(position);
        }
    }

    private void send() {
        try {
            shipOrphans();
            while (true) {
                HashChain.Written event = toSend.poll(100, TimeUnit.MILLISECONDS);
                if (event == null) {
                    if (closing) {
                        return;
                    }
                    signIfDue();
                    continue;
                }
                sendOne(event);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing while Kafka is away: the spool keeps what is unsent
        }
    }

    /** Ships the spools of stopped emitters before any event of ours; retries while Kafka is away. */
    private void shipOrphans() throws InterruptedException {
        List<AuditSpool.Orphan> orphans;
        try {
            orphans = AuditSpool.orphans(spoolDir);
        } catch (IOException e) {
            LOG.atError().addKeyValue("dir", spoolDir).log("cannot list audit spools: {}", e.getMessage());
            return;
        }
        for (AuditSpool.Orphan orphan : orphans) {
            long backoff = 100;
            while (true) {
                try {
                    AuditSpoolShipper.ship(orphan, producer, topicHead, signing == null ? null : this::closeOrphan);
                    break;
                } catch (InterruptedException | InterruptException e) {
                    throw new InterruptedException("closed while shipping " + orphan.file());
                } catch (Exception e) {
                    if (closing) {
                        closeQuietly(orphan);
                        return;
                    }
                    LOG.atWarn().addKeyValue("spool", orphan.file()).log("cannot ship audit spool yet, retrying: {}", e.getMessage());
                    Thread.sleep(backoff); // Kafka is away: back off before trying again
                    backoff = Math.min(backoff * 2, 5000);
                }
            }
        }
    }

    /**
     * The signed closing head of a dead emitter's chain whose last event is {@code last}, if it was
     * one of this principal's emitters (a spool directory may be shared: an operator's chain is
     * never closed by a service's key); else null.
     */
    private HashChain.Written closeOrphan(AuditEvent last) {
        String emitter = last.getEmitter();
        if (!emitter.startsWith(principal + "-") || emitter.length() != principal.length() + 9) {
            return null;
        }
        return AuditChainHead.append(HashChain.resume(last), signing.identity(), principal, AuditChainHead.Kind.CLOSE,
                System.currentTimeMillis());
    }

    private void sendOne(HashChain.Written written) throws InterruptedException {
        long backoff = 100;
        while (true) {
            try {
                AuditEvent event = written.event();
                producer.send(new ProducerRecord<>(Topics.AUDIT.name(), chain.emitter(), written.bytes()), (md, error) -> {
                    inFlight.release();
                    synchronized (acked) {
                        if (error == null) {
                            lastAck = new AuditSpool.Ack(md.partition(), md.offset(), event.getSequence());
                        }
                        acked.notifyAll();
                    }
                    if (error != null) {
                        failure = error;
                        LOG.atError().addKeyValue("emitter", chain.emitter()).addKeyValue("sequence", event.getSequence())
                                .log("audit event not published, key operations stop (it stays in {}): {}", spool.file(),
                                        error.getMessage());
                    }
                });
                return;
            } catch (InterruptException e) {
                throw new InterruptedException("closed while sending");
            } catch (KafkaException e) { // no metadata yet (Kafka away): the event is in the spool; try again
                if (closing) {
                    throw new InterruptedException("closed while Kafka is away");
                }
                LOG.atWarn().addKeyValue("emitter", chain.emitter()).log("cannot publish audit event yet: {}", e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    private static void closeQuietly(AuditSpool.Orphan orphan) {
        try {
            orphan.close();
        } catch (IOException e) {
            LOG.atWarn().log("cannot release audit spool {}: {}", orphan.file(), e.getMessage());
        }
    }

    /** Waits until every recorded event is acknowledged (or the trail failed). */
    public void flush() {
        synchronized (acked) {
            while (failure == null && !spool.allAcknowledged(lastAck)) {
                try {
                    acked.wait(100); // woken by each acknowledgement; the bound only guards against a missed one
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Publishes what is left (waiting up to 30 s for Kafka), closes the producer, and deletes the
     * spool if every event is on the topic; otherwise the spool stays for the next start to ship.
     */
    @Override
    public void close() {
        if (signing != null) {
            long position = -1;
            synchronized (chain) {
                if (failure == null && !closedHead) {
                    position = head(AuditChainHead.Kind.CLOSE, true); // nothing may follow it
                    closedHead = true;
                }
            }
            if (position >= 0) {
                spool.awaitDurable(position);
            }
        }
        closing = true;
        try {
            sender.join(Duration.ofSeconds(30).toMillis());
            if (sender.isAlive()) {
                sender.interrupt();
                sender.join(Duration.ofSeconds(5).toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(30));
        if (failure == null && toSend.isEmpty() && spool.allAcknowledged(lastAck)) {
            spool.closeAndDelete();
        } else {
            LOG.atWarn().addKeyValue("emitter", chain.emitter())
                    .log("audit events not yet on the topic stay in {}; the next start ships them", spool.file());
            spool.close();
        }
    }
}
