package io.strongroom.coordinator;

import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure each tenant has a KEK and publishes the state of each of its versions on
 * {@code strongroom.keys} (key: {@code keyId/version}). Idempotent: republishing the same state is
 * harmless on a compacted topic.
 */
public final class KeyPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(KeyPublisher.class);

    private final ManagedKms kms;
    private final Producer<String, KeyVersionEvent> producer;
    private final Duration kmsTimeout;
    private final String actor;

    public KeyPublisher(ManagedKms kms, Producer<String, KeyVersionEvent> producer, Duration kmsTimeout, String actor) {
        this.kms = kms;
        this.producer = producer;
        this.kmsTimeout = kmsTimeout;
        this.actor = actor;
    }

    /** Ensures and publishes the keys of {@code tenants}; returns the events published. */
    public List<KeyVersionEvent> ensure(List<String> tenants) {
        List<KeyVersionEvent> published = new ArrayList<>();
        for (String tenant : tenants) {
            String keyId = Kmses.await(kms.createKek(tenant), kmsTimeout);
            published.addAll(publish(tenant, keyId, Kmses.await(kms.describe(keyId), kmsTimeout), "ensure"));
        }
        return published;
    }

    /** Publishes the state of each of {@code versions} of {@code keyId}; returns the events. */
    public List<KeyVersionEvent> publish(String tenant, String keyId, List<KeyVersion> versions, String reason) {
        List<KeyVersionEvent> published = new ArrayList<>();
        for (KeyVersion v : versions) {
            KeyState state = switch (v.state()) {
                case PRIMARY -> KeyState.PRIMARY;
                case ENABLED -> KeyState.DECRYPT_ONLY;
                case DISABLED -> KeyState.DISABLED;
                case DESTROY_SCHEDULED -> KeyState.DESTROY_SCHEDULED;
                case DESTROYED -> KeyState.DESTROYED;
            };
            KeyVersionEvent event = KeyVersionEvent.newBuilder().setKeyId(keyId).setTenant(tenant).setVersion(v.version())
                    .setState(state).setAlgorithm("AES256_GCM").setCreatedAtMs(v.createdAt().toEpochMilli())
                    .setChangedAtMs(v.changedAt().toEpochMilli())
                    .setActor(actor).setReason(reason).build();
            try {
                producer.send(new ProducerRecord<>(Topics.KEYS.name(), keyId + "/" + v.version(), event)).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot publish key version " + keyId + "/" + v.version() + ": "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            published.add(event);
            LOG.atDebug().addKeyValue("keyId", keyId).addKeyValue("version", v.version()).addKeyValue("state", state)
                    .log("published key version");
        }
        return published;
    }
}
