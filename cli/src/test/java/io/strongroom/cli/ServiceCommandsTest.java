package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A stream service whose Kafka Streams client stopped on its own (a failed thread shut it down) ends its process
 * with exit 1 and the reason, instead of staying alive and lagging: seen in a fault run, where an encryptor shut down
 * by a failed check sat for minutes, "stuck", until the run gave up on it. (That the failure is seen the moment the
 * client reaches ERROR is {@code StreamsAppIT}'s, on a real broker.) And whatever a service opened is closed, in
 * reverse order, on every way out.
 */
class ServiceCommandsTest {
    private static String capturingErr(ThrowingRunnable r) throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(err);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aFailedServiceEndsWithExit1NamingWhyAndClosesWhatItOpenedInReverseOrder() throws Exception {
        List<String> closed = new ArrayList<>();
        CompletableFuture<Void> failed = new CompletableFuture<>();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return ServiceCommands.run("encryptor", resources -> {
                    resources.add(() -> closed.add("kms"));
                    resources.add(() -> closed.add("service"));
                    resources.add(() -> closed.add("status page"));
                    return failed;
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await("the service to keep running while it has not failed").during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3)).until(() -> !exit.isDone());
        String err = capturingErr(() -> {
            failed.completeExceptionally(new IllegalStateException("encryptor stopped: its Kafka Streams client is in "
                    + "state ERROR: the encryptor state of strongroom.changes/0 is not the state its root records"));
            assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        });
        assertThat(closed).containsExactly("status page", "service", "kms");
        assertThat(err).contains("strongroom encryptor: encryptor stopped: its Kafka Streams client is in state ERROR: "
                + "the encryptor state of strongroom.changes/0 is not the state its root records");
    }

    @Test
    void aStartThatFailsHalfwayClosesWhatItHadOpenedAndRethrows() {
        List<String> closed = new ArrayList<>();
        assertThatThrownBy(() -> ServiceCommands.run("ingest", resources -> {
            resources.add(() -> closed.add("kms"));
            resources.add(() -> closed.add("ingest"));
            throw new IllegalArgumentException("ingest.postgres.host is not set");
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("ingest.postgres.host is not set");
        assertThat(closed).containsExactly("ingest", "kms");
    }

    @Test
    void oneResourceFailingToCloseIsReportedAndTheRestAreStillClosed() throws Exception {
        List<String> closed = new ArrayList<>();
        String err = capturingErr(() -> {
            Resources r = new Resources("archiver");
            r.add(() -> closed.add("first"));
            r.add(() -> {
                throw new IllegalStateException("S3 client already closed");
            });
            r.add(null); // a status page that is off
            r.add(() -> closed.add("last"));
            r.close();
            r.close(); // each once
        });
        assertThat(closed).containsExactly("last", "first");
        assertThat(err).contains("strongroom archiver: error while stopping: S3 client already closed");
    }
}
