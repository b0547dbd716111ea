package io.strongroom.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Where the demo's logs go: the embedded broker, S3Proxy, Jetty and the Kafka clients (every logger outside
 * {@code io.strongroom}) write to a file, at WARN, so that the console tells Strongroom's story — the progress
 * lines and the summary. The broker's own retriable rejections (logged at ERROR by Kafka 4.3, KAFKA-18202) land in
 * the file, not in front of a newcomer. Strongroom's own warnings and errors still reach the console (stderr), and
 * all of Strongroom's log lines are in the file too.
 */
public final class DemoLogging {
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} %kvp - %msg%n";

    private DemoLogging() {}

    /** Sends the logs to {@code file} (appending) as described above; returns it. */
    public static Path toFile(Path file) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> console = root.getAppender("STDERR"); // logback.xml's
        root.detachAndStopAllAppenders();
        root.setLevel(Level.WARN);
        root.addAppender(fileAppender(context, file));

        Logger strongroom = context.getLogger("io.strongroom");
        strongroom.setAdditive(true); // to the file, through the root
        ConsoleAppender<ILoggingEvent> warnings = new ConsoleAppender<>();
        warnings.setContext(context);
        warnings.setName("STRONGROOM-CONSOLE");
        warnings.setTarget("System.err");
        warnings.setEncoder(encoder(context));
        ThresholdFilter threshold = new ThresholdFilter();
        threshold.setLevel("WARN");
        threshold.setContext(context);
        threshold.start();
        warnings.addFilter(threshold);
        warnings.start();
        strongroom.detachAppender("STRONGROOM-CONSOLE");
        strongroom.addAppender(warnings);
        if (console != null) {
            console.stop();
        }
        return file;
    }

    private static FileAppender<ILoggingEvent> fileAppender(LoggerContext context, Path file) {
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("DEMO-FILE");
        appender.setFile(file.toAbsolutePath().toString());
        appender.setAppend(true);
        appender.setEncoder(encoder(context));
        appender.start();
        return appender;
    }

    private static PatternLayoutEncoder encoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }
}
