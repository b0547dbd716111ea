package io.strongroom.restore;

import io.strongroom.avro.ChangeEvent;

/**
 * Where restored events go. {@link #accept} is called in per-key order; {@link #commit} once at the
 * end of a run; {@link #abort} instead if the run fails, and must leave no partial result behind
 * where the target allows it.
 */
public interface RestoreSink extends AutoCloseable {
    void accept(ChangeEvent event) throws Exception;

    void commit() throws Exception;

    void abort();

    @Override
    default void close() {}
}
