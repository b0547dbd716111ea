package io.strongroom.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The demo's console shows Strongroom's warnings and errors; the broker's and the clients' go to the log file. */
class DemoLoggingTest {
    private final PrintStream stderr = System.err;

    @AfterEach
    void restoreLogging() throws Exception {
        System.setErr(stderr);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        new ContextInitializer(context).autoConfig(); // the usual configuration again, for the tests after this one
    }

    @Test
    void aBrokerErrorGoesToTheFileAndAStrongroomErrorReachesTheConsoleToo(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        Path file = DemoLogging.toFile(dir.resolve("demo.log"));

        LoggerFactory.getLogger("kafka.server.ReplicaManager").error("OutOfOrderSequenceException: Expected sequence 0");
        LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient").warn("Connection to node -1 could not be established");
        LoggerFactory.getLogger("io.strongroom.encryptor.internal.SegmentProcessor").error("tenant acme fails closed: key disabled");
        LoggerFactory.getLogger("io.strongroom.ingest.internal.NormalizeProcessor").warn("rejected CDC record sent to the DLQ");
        LoggerFactory.getLogger("io.strongroom.ingest.IngestService").info("ingest started");

        String shown = console.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("tenant acme fails closed").contains("rejected CDC record")
                .doesNotContain("OutOfOrderSequenceException").doesNotContain("Connection to node").doesNotContain("ingest started");
        assertThat(Files.readString(file)).contains("ERROR ReplicaManager").contains("OutOfOrderSequenceException")
                .contains("Connection to node -1").contains("tenant acme fails closed").contains("ingest started");
    }
}
