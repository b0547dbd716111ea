package io.strongroom.ingest.source;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.Header;
import io.debezium.engine.format.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded Debezium PostgreSQL connector (pgoutput) that writes Debezium JSON change events to
 * CDC topics, {@code <topic-prefix>.<schema>.<table>}, for the ingest topology to pick up: the
 * same path as a Kafka Connect deployment, for teams that don't run Connect.
 *
 * <p>Delivery is at least once: a batch's position is saved only after the broker acknowledged
 * every record of it, so a crash re-sends the tail of the last batch, never skips it. Restores
 * apply changes by primary key, so a re-sent change is harmless. The position lives in a local file
 * (see {@link PostgresSourceConfig#offsetFile()}) and PostgreSQL's replication slot holds the WAL
 * until it is confirmed.
 */
public final class PostgresSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresSource.class);
    private static final String HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat";

    private final DebeziumEngine<ChangeEvent<String, String>> engine;
    private final ExecutorService executor;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final AtomicLong delivered = new AtomicLong();
    private final String tenant;

    private PostgresSource(PostgresSourceConfig config, Map<String, Object> kafka, Path dataDir) {
        this.tenant = config.effectiveTenant();
        Map<String, Object> producerProps = new HashMap<>(kafka);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "strongroom-postgres-source-" + tenant);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.admin = Admin.create(kafka);
        this.engine = DebeziumEngine.create(Json.class)
                .using(debeziumProperties(config, dataDir))
                .notifying(this::handleBatch)
                .using((success, message, error) -> {
                    if (success) {
                        stopped.complete(null);
                    } else {
                        stopped.completeExceptionally(new IllegalStateException(
                                "PostgreSQL source for tenant " + tenant + " stopped: " + message, error));
                    }
                })
                .build();
        this.executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "strongroom-postgres-source-" + tenant));
    }

    /**
     * Starts capturing.
     *
     * @param config source settings (must be complete, see {@link PostgresSourceConfig#requireComplete()})
     * @param kafka base Kafka client properties
     * @param dataDir where the default offset file lives
     */
    public static PostgresSource start(PostgresSourceConfig config, Map<String, Object> kafka, Path dataDir) {
        PostgresSource source = new PostgresSource(config.requireComplete(), kafka, dataDir);
        source.executor.execute(source.engine);
        LOG.atInfo().addKeyValue("tenant", source.tenant).addKeyValue("database", config.database())
                .addKeyValue("slot", config.effectiveSlot()).addKeyValue("topicPrefix", config.effectiveTopicPrefix())
                .log("PostgreSQL source started");
        return source;
    }

    static Properties debeziumProperties(PostgresSourceConfig config, Path dataDir) {
        Path offsets = config.effectiveOffsetFile(dataDir);
        try {
            Files.createDirectories(offsets.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of the offset file " + offsets, e);
        }
        Properties p = new Properties();
        p.put("name", "strongroom-postgres-" + config.effectiveTenant());
        p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.put("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.put("offset.storage.file.filename", offsets.toString());
        p.put("offset.flush.interval.ms", Long.toString(config.offsetFlushInterval().toMillis()));
        p.put("database.hostname", config.hostname());
        p.put("database.port", Integer.toString(config.port()));
        p.put("database.dbname", config.database());
        p.put("database.user", config.user());
        p.put("database.password", password(config));
        p.put("topic.prefix", config.effectiveTopicPrefix());
        p.put("plugin.name", "pgoutput");
        p.put("slot.name", config.effectiveSlot());
        p.put("publication.name", config.effectivePublication());
        p.put("publication.autocreate.mode", "filtered"); // all_tables would need a superuser
        if (!config.tables().isEmpty()) {
            p.put("table.include.list", String.join(",", config.tables().stream().map(PostgresSource::quoteRegex).toList()));
        }
        p.put("snapshot.mode", config.snapshotMode());
        // Values a restore into PostgreSQL gets back exactly (see PostgresSourceConfig#DEBEZIUM_DEFAULTS), and each
        // column's source type in the schema so a restore can recreate the table; ingest.postgres.debezium overrides
        // the modes.
        p.putAll(PostgresSourceConfig.DEBEZIUM_DEFAULTS);
        p.put("column.propagate.source.type", ".*");
        p.put("tombstones.on.delete", "true");
        p.put("key.converter.schemas.enable", "true");
        p.put("value.converter.schemas.enable", "true");
        p.putAll(config.debezium());
        return p;
    }

    private static String quoteRegex(String table) {
        return table.replace(".", "\\.").replace("$", "\\$");
    }

    private static String password(PostgresSourceConfig config) {
        if (config.password() != null) {
            return config.password();
        }
        Path file = Path.of(config.passwordFile());
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ingest.postgres.password-file " + file + ": " + e.getMessage(), e);
        }
    }

    private void handleBatch(List<ChangeEvent<String, String>> records,
            DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer) throws InterruptedException {
        List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
        for (ChangeEvent<String, String> record : records) {
            if (record.destination().startsWith(HEARTBEAT_TOPIC_PREFIX)) {
                continue;
            }
            ensureTopic(record.destination());
            ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(record.destination(), null, bytes(record.key()),
                    bytes(record.value()));
            for (Header<Object> h : record.<Object>headers()) {
                out.headers().add(h.getKey(), h.getValue() == null ? null : bytes(String.valueOf(h.getValue())));
            }
            sends.add(producer.send(out));
        }
        producer.flush();
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get(); // a failed send stops the engine before its position is saved
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot write a change of tenant " + tenant + " to Kafka: "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
        for (ChangeEvent<String, String> record : records) {
            committer.markProcessed(record);
        }
        committer.markBatchFinished();
        delivered.addAndGet(sends.size());
    }

    private void ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
            LOG.atInfo().addKeyValue("topic", topic).log("created CDC topic");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create CDC topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create CDC topic " + topic + ": no answer from Kafka in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating CDC topic " + topic, e);
        }
        knownTopics.add(topic);
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Completes when the source stops: normally after {@link #close()}, exceptionally on a failure. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** Change events written to Kafka so far. */
    public long delivered() {
        return delivered.get();
    }

    @Override
    public void close() {
        try {
            engine.close();
        } catch (IOException e) {
            LOG.atWarn().setCause(e).log("error while stopping the PostgreSQL source");
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
        admin.close(Duration.ofSeconds(10));
    }
}
