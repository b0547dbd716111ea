package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import java.util.ArrayList;
import java.util.List;

/** A hash-chained trail kept in memory (tests, dry runs). Thread-safe. */
public final class InMemoryAuditTrail implements AuditTrail {
    private final HashChain chain;
    private final List<AuditEvent> events = new ArrayList<>();

    public InMemoryAuditTrail(String emitter) {
        this.chain = new HashChain(emitter);
    }

    @Override
    public synchronized void record(AuditRecord record) {
        events.add(chain.next(record, System.currentTimeMillis()));
    }

    /** The events so far, in order. */
    public synchronized List<AuditEvent> events() {
        return List.copyOf(events);
    }
}
