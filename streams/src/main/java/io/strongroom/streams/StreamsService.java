package io.strongroom.streams;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.KafkaStreams;

/**
 * A service that is one Kafka Streams client run by a {@link StreamsApp}: what ingest, the encryptor and the anomaly
 * detector have in common to the process that runs them (its health, its exit on a failure, its close).
 */
public abstract class StreamsService implements AutoCloseable {
    private final StreamsApp app;

    protected StreamsService(StreamsApp app) {
        this.app = Objects.requireNonNull(app, "app");
    }

    /** The Streams client's state (RUNNING, REBALANCING, ERROR …). */
    public final KafkaStreams.State state() {
        return app.state();
    }

    /** What last failed a stream thread (the reason the service stopped, when it did), if anything did. */
    public final Optional<Throwable> failure() {
        return app.failure();
    }

    /** Completes exceptionally, naming why, once the service's Streams client has stopped on an error. */
    public final CompletableFuture<Void> failed() {
        return app.failed();
    }

    /** Leaves the group and closes the client, waiting at most {@link StreamsApp#CLOSE_TIMEOUT}. */
    @Override
    public void close() {
        app.close();
    }
}
