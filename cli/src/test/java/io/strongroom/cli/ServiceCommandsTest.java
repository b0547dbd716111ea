package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A stream service whose Kafka Streams client stopped on its own (a failed thread shut it down) ends its process
 * with exit 1 and the reason, instead of staying alive and lagging: seen in a fault run, where an encryptor shut down
 * by a failed check sat for minutes, "stuck", until the run gave up on it.
 */
class ServiceCommandsTest {
    @Test
    void aStreamsClientInErrorEndsTheServiceWithExit1NamingWhy() throws Exception {
        AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.RUNNING);
        AtomicBoolean closed = new AtomicBoolean();
        CompletableFuture<Void> failed = ServiceCommands.whenStreamsFail("encryptor", state::get,
                () -> Optional.of(new IllegalStateException("the encryptor state of strongroom.changes/0 is not the state its root records")));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return ServiceCommands.runUntilStopped("encryptor", () -> closed.set(true), failed);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await("the service to keep running while Streams runs").during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(4)).until(() -> !exit.isDone());
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            state.set(KafkaStreams.State.ERROR);
            assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        } finally {
            System.setErr(err);
        }
        assertThat(closed).as("the service was closed").isTrue();
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("strongroom encryptor: encryptor stopped: its Kafka Streams "
                + "client is in state ERROR: the encryptor state of strongroom.changes/0 is not the state its root records");
    }

    @Test
    void aRebalanceOrAPendingShutdownIsNotAFailure() {
        AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.REBALANCING);
        CompletableFuture<Void> failed = ServiceCommands.whenStreamsFail("ingest", state::get, Optional::empty);
        state.set(KafkaStreams.State.PENDING_SHUTDOWN); // what close() does: the process is stopping anyway
        Awaitility.await("no failure over several checks of the state").during(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(5)).until(() -> !failed.isDone());
        state.set(KafkaStreams.State.ERROR);
        Awaitility.await("the failure to be seen").atMost(Duration.ofSeconds(5)).until(failed::isDone);
        assertThat(failed).isCompletedExceptionally();
    }
}
