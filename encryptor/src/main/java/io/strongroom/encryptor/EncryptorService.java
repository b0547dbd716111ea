package io.strongroom.encryptor;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.encryptor.internal.EncryptorTopology;
import io.strongroom.encryptor.internal.InputAnchor;
import io.strongroom.encryptor.internal.SegmentProcessor;
import io.strongroom.encryptor.internal.StateBinding;
import io.strongroom.streams.StreamsService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import io.strongroom.schemas.Topics;
import io.strongroom.schemas.FailingHandlers;
import io.strongroom.streams.StreamsApp;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the encryptor topology with exactly-once processing (a {@link StreamsApp}). */
public final class EncryptorService extends StreamsService {
    private static final Logger LOG = LoggerFactory.getLogger(EncryptorService.class);

    private EncryptorService(StreamsApp app) {
        super(app);
    }

    /**
     * Starts the encryptor, knowing no tenant's key ({@link TenantKeys#NONE_KNOWN}: a record it cannot decode stops it).
     *
     * @param config encryptor settings
     * @param environment environment bound into every segment
     * @param kms the KMS holding tenant KEKs
     * @param kafka base Kafka client properties
     * @param stateDir Kafka Streams state directory
     */
    public static EncryptorService start(EncryptorConfig config, String environment, Kms kms, Map<String, Object> kafka,
            Path stateDir) {
        return start(config, environment, kms, kafka, stateDir, Metrics.globalRegistry);
    }

    /**
     * As {@link #start(EncryptorConfig, String, Kms, Map, Path)}, its meters (and the Kafka clients', consumer lag
     * included) in {@code registry}.
     */
    public static EncryptorService start(EncryptorConfig config, String environment, Kms kms, Map<String, Object> kafka,
            Path stateDir, MeterRegistry registry) {
        return start(config, environment, kms, TenantKeys.NONE_KNOWN, kafka, stateDir, registry);
    }

    /**
     * Starts the encryptor, its meters (and the Kafka clients', consumer lag included) in {@code registry}.
     *
     * @param config encryptor settings
     * @param environment environment bound into every segment
     * @param kms the KMS holding tenant KEKs (the data plane: the encryptor administers no key)
     * @param tenantKeys whether a tenant has a key, for a record the encryptor cannot decode
     * @param kafka base Kafka client properties
     * @param stateDir Kafka Streams state directory
     * @param registry where meters go
     */
    public static EncryptorService start(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            Map<String, Object> kafka, Path stateDir, MeterRegistry registry) {
        return start(config, environment, kms, tenantKeys, kafka, stateDir, registry, Topics.CHANGES.valueSerde().deserializer());
    }

    /** As above, decoding change events with {@code decoder} (tests stand in a newer encryptor with it). */
    static EncryptorService start(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            Map<String, Object> kafka, Path stateDir, MeterRegistry registry, Deserializer<ChangeEvent> decoder) {
        return start(config, environment, kms, tenantKeys, kafka, stateDir, registry, decoder,
                UnaryOperator.identity());
    }

    /** As above, checking the state root against {@code anchor} applied to the group's (tests stand in a Kafka that does not answer). */
    static EncryptorService start(EncryptorConfig config, String environment, Kms kms, TenantKeys tenantKeys,
            Map<String, Object> kafka, Path stateDir, MeterRegistry registry, Deserializer<ChangeEvent> decoder,
            UnaryOperator<InputAnchor> anchor) {
        return new EncryptorService(StreamsApp.start("encryptor", EncryptorTopology.topology(config, environment, kms,
                tenantKeys, registry, decoder, anchor.apply(InputAnchor.of(kafka, config.applicationId(),
                        Duration.ofSeconds(30)))),
                streamsProperties(config, kafka, stateDir), EncryptorService::onError,
                // records-lag-max and the rest of the clients' metrics
                streams -> new KafkaStreamsMetrics(streams).bindTo(registry)));
    }

    /** The Kafka Streams properties of the encryptor: {@code kafka}, and what the encryptor must have over them. */
    static Properties streamsProperties(EncryptorConfig config, Map<String, Object> kafka, Path stateDir) {
        Properties props = StreamsApp.properties(config.applicationId(), kafka, stateDir);
        // a sealed segment is one record: it is sealed once its plaintext reaches the limit, so it holds up to the
        // limit plus one event (as large as Topics.MAX_EVENT_BYTES), plus header room; its open records go to the
        // store's changelog one by one, each as large as an event
        long request = Topics.segmentRecordBytes(config.segmentMaxBytes());
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), (int) request);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), Math.max(32L << 20, 2 * request));
        props.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), String.valueOf(request));
        return FailingHandlers.pin(props, "encryptor"); // an undecodable or refused record stops it, never skipped
    }

    /**
     * Fail closed. The failed transaction is aborted, so nothing of it is visible downstream and no
     * segment exists without its wrapped data key. A KMS (or audit) failure is expected to pass, and so is Kafka
     * not answering the state root's check against the committed offsets (a broker restarting): the stream thread
     * is replaced and resumes from the last committed offsets, losing nothing. Anything else stops the encryptor
     * (and the {@code strongroom encryptor} process, exit 1).
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KmsException kms) {
                LOG.atWarn().addKeyValue("error", kms.getClass().getSimpleName())
                        .log("KMS unavailable, nothing sealed; retrying from the last commit: {}", kms.getMessage());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            if (t instanceof InputAnchor.UnavailableException unavailable) {
                // the state is neither accepted nor refused while Kafka cannot say what the group committed
                LOG.atWarn().log("cannot check the encryptor's state yet, nothing sealed; retrying from the last commit: {}",
                        unavailable.getMessage());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            if (t instanceof StateBinding.TamperedStateException refused) {
                // not retried: the state restored from the changelog is not what this encryptor wrote
                LOG.atError().log("encryptor stopped, nothing sealed from the refused state: {}", refused.getMessage());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            if (t instanceof SegmentProcessor.UndecodableRecordException u) {
                // not retried: the same record would stop it again; a newer encryptor resumes from it
                LOG.atError().log("encryptor stopped, nothing lost: {}", u.getMessage());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
        }
        LOG.atError().setCause(e).log("encryptor stopped: {}", e.getMessage());
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
}
