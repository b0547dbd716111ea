package io.strongroom.schemas;

import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka Streams exception handlers of Strongroom's stream apps, pinned to the failing ones. A record such an
 * app cannot process (an event the encryptor cannot decode nor quarantine, state it refuses, a KMS failure) must
 * stop the task with its offset uncommitted, never be logged and committed past: a "log and continue" handler in
 * an operator's {@code kafka.properties} would turn each of those into a silently lost event. Named by string so
 * that this module needs no Kafka Streams dependency.
 */
public final class FailingHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(FailingHandlers.class);
    private static final String ERRORS = "org.apache.kafka.streams.errors.";
    /** Handler setting → the handler every Strongroom stream app runs with. */
    static final Map<String, String> PINNED = Map.of(
            "processing.exception.handler", ERRORS + "LogAndFailProcessingExceptionHandler",
            "deserialization.exception.handler", ERRORS + "LogAndFailExceptionHandler",
            "production.exception.handler", ERRORS + "DefaultProductionExceptionHandler");
    /** Deprecated names of the same settings (still read by Kafka Streams 4): removed. */
    private static final Map<String, String> DEPRECATED = Map.of(
            "default.deserialization.exception.handler", "deserialization.exception.handler",
            "default.production.exception.handler", "production.exception.handler");

    private FailingHandlers() {}

    /**
     * Sets the failing handlers in {@code props} (after the operator's settings went in), logging a warning for
     * each other handler that was configured, naming the setting, what it said and what {@code app} runs with.
     */
    public static Properties pin(Properties props, String app) {
        DEPRECATED.forEach((old, current) -> {
            Object was = props.remove(old);
            if (was != null) {
                warn(app, old, was, PINNED.get(current));
            }
        });
        PINNED.forEach((key, handler) -> {
            Object was = props.put(key, handler);
            if (was != null && !handler.equals(was instanceof Class<?> c ? c.getName() : String.valueOf(was))) {
                warn(app, key, was, handler);
            }
        });
        return props;
    }

    private static void warn(String app, String key, Object was, String handler) {
        LOG.atWarn().addKeyValue("setting", key).addKeyValue("configured", was)
                .log("{}: Kafka setting {}={} ignored: {} runs with {}, so that a record it cannot process stops it "
                        + "(uncommitted) instead of being skipped", app, key, was, app, handler);
    }
}
