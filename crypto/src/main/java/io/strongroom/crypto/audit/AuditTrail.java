package io.strongroom.crypto.audit;

/** Where audit records go. Implementations may block (bounded buffers): nothing runs unaudited. */
public interface AuditTrail extends AutoCloseable {
    /**
     * Records {@code record}; returns once it is accepted (it may still be in flight).
     *
     * @throws AuditUnavailableException if the trail has failed; the caller must not proceed
     */
    void record(AuditRecord record);

    @Override
    default void close() {}
}
