package io.strongroom.restore;

import io.strongroom.avro.ChangeEvent;

/**
 * Where restored events go. {@link #accept} is called in per-key order; {@link #commit} once at the
 * end of a run; {@link #abort} instead if the run fails, and must leave no partial result behind
 * where the target allows it (beyond the last {@link #checkpoint}, in a resumable restore).
 */
public interface RestoreSink extends AutoCloseable {
    void accept(ChangeEvent event) throws Exception;

    void commit() throws Exception;

    void abort();

    /**
     * For a resumable restore: makes everything accepted so far durable in the target, recording (atomically with it,
     * where the target can) that the first {@code segmentsDone} segments of restore {@code restoreId} are in it.
     * {@link #abort} then only drops what comes after.
     */
    void checkpoint(String restoreId, int segmentsDone) throws Exception;

    /**
     * Before a resumed restore continues after {@code checkpointed} segments: how many segments the target already
     * holds, which may be more than the checkpoint file says if the process stopped between the two (never fewer).
     */
    default int resume(String restoreId, int checkpointed) throws Exception {
        return checkpointed;
    }

    @Override
    default void close() {}
}
