package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import java.util.Objects;

/**
 * What happened, as the caller knows it; the trail adds emitter, sequence, time and hashes.
 *
 * @param principal who did it
 * @param action what
 * @param outcome success, failure or denial
 * @param tenant the tenant, if any
 * @param keyId the key, if any
 * @param keyVersion the key version, if any
 * @param segmentId the segment, if any
 * @param detail a short explanation (never key material or payload)
 */
public record AuditRecord(String principal, AuditAction action, AuditOutcome outcome, String tenant, String keyId,
        String keyVersion, String segmentId, String detail) {
    public AuditRecord {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
    }
}
