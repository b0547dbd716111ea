package io.strongroom.streams;

import io.strongroom.schemas.FailingHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every Strongroom Kafka Streams service runs (ingest, encryptor, anomaly detector): exactly once, from the
 * earliest offset, with the processing and production handlers pinned to fail (a record is never skipped unseen); a
 * failed stream thread handled by the service's policy and remembered as the reason; the client's state followed
 * by a listener, so that {@link #failed()} completes the moment it reaches {@code ERROR}; and closed by leaving the
 * group, so that a replacement instance gets the partitions at once instead of after the session timeout.
 */
public final class StreamsApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);
    /** How long {@link #close} waits for the stream threads to finish their work and leave the group. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final KafkaStreams streams;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<Void> failed = new CompletableFuture<>();

    private StreamsApp(String name, KafkaStreams streams) {
        this.name = name;
        this.streams = streams;
    }

    /**
     * The properties every service has: {@code kafka} (bootstrap servers, security, and whatever
     * {@code kafka.properties} sets), then the application id, exactly-once v2, the state directory, the earliest
     * offset for a new group, the global processing-exception handler, and the broker's default replication factor
     * unless {@code kafka} names one. The service adds its own before {@link #start}.
     */
    public static Properties properties(String applicationId, Map<String, Object> kafka, Path stateDir) {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put("processing.exception.handler.global.enabled", true);
        return props;
    }

    /**
     * Starts {@code topology}.
     *
     * @param name the service, as logs and errors name it ("ingest", "encryptor" …)
     * @param props from {@link #properties}, plus the service's own; the error handlers are pinned to fail here
     * @param onError what a failed stream thread does: replace the thread (a transient cause) or shut the client down
     * @param beforeStart anything to bind to the client before it starts (metrics), or a no-op
     */
    public static StreamsApp start(String name, Topology topology, Properties props,
            StreamsUncaughtExceptionHandler onError, Consumer<KafkaStreams> beforeStart) {
        StreamsApp app = new StreamsApp(name, new KafkaStreams(topology, FailingHandlers.pin(props, name)));
        app.streams.setUncaughtExceptionHandler(e -> {
            app.failure.set(e);
            return onError.handle(e);
        });
        app.streams.setStateListener((now, before) -> {
            LOG.atInfo().addKeyValue("service", name).addKeyValue("from", before).addKeyValue("to", now).log("state");
            if (now == KafkaStreams.State.ERROR) {
                Throwable why = app.failure.get();
                app.failed.completeExceptionally(new IllegalStateException(name + " stopped: its Kafka Streams client is "
                        + "in state ERROR" + (why == null ? " (see the log above)" : ": " + why.getMessage()), why));
            }
        });
        try {
            beforeStart.accept(app.streams);
            app.streams.start();
        } catch (RuntimeException e) {
            app.close(); // its admin client, threads and state directory lock
            throw e;
        }
        LOG.atInfo().addKeyValue("service", name).addKeyValue("applicationId", props.get(StreamsConfig.APPLICATION_ID_CONFIG))
                .log("{} started", name);
        return app;
    }

    /** A policy that shuts the client down on any failure, logging it as {@code name}'s stop. */
    public static StreamsUncaughtExceptionHandler shutDownOnError(String name) {
        return e -> {
            LOG.atError().setCause(e).log("{} stopped on an unexpected error; restart it once the cause is fixed", name);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        };
    }

    /** A policy that replaces the failed thread (it resumes from the last commit), logging the failure. */
    public static StreamsUncaughtExceptionHandler replaceThreadOnError(String name) {
        return e -> {
            LOG.atError().setCause(e).log("{} thread failed, replacing it: {}", name, e.getMessage());
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        };
    }

    /** The client's state (RUNNING, REBALANCING, ERROR …). */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** What last failed a stream thread (the reason the client stopped, when it did), if anything did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Completes exceptionally, naming why, once the client reaches {@code ERROR} (a failed stream thread shut it
     * down); never completes normally. A process must then exit 1 so that its supervisor restarts it or alerts:
     * alive but stopped, it would only lag.
     */
    public CompletableFuture<Void> failed() {
        return failed;
    }

    /** The service's name. */
    public String name() {
        return name;
    }

    @Override
    public void close() {
        if (!streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(CLOSE_TIMEOUT))) {
            LOG.atWarn().addKeyValue("service", name).log("{}'s stream threads did not stop within {}", name, CLOSE_TIMEOUT);
        }
    }
}
