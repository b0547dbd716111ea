package io.strongroom.crypto.audit;

import io.strongroom.crypto.identity.SigningIdentity;
import java.time.Duration;
import java.util.Objects;

/**
 * How an emitter signs its audit chain ({@link AuditChainHead}): an opening head first, then a
 * signed head once {@code everyEvents} events or {@code every} have passed since the last one
 * (whichever comes first), and a closing head at close. {@code everyEvents = 1} signs after every
 * event (doubling the events on the topic; BENCHMARKS.md has the cost).
 *
 * @param identity the emitter's signing identity; its role must be the one of the principal the trail names
 * @param everyEvents events between heads, 1–1,000,000
 * @param every time between heads while events are unsigned, 100 ms – 1 h
 */
public record AuditSigning(SigningIdentity identity, int everyEvents, Duration every) {
    /** Default: a head every 1,000 events or 5 seconds. */
    public static final int DEFAULT_EVERY_EVENTS = 1000;
    public static final Duration DEFAULT_EVERY = Duration.ofSeconds(5);

    public AuditSigning {
        Objects.requireNonNull(identity, "audit signing identity");
        every = Objects.requireNonNullElse(every, DEFAULT_EVERY);
        if (everyEvents < 1 || everyEvents > 1_000_000) {
            throw new IllegalArgumentException("audit.sign-every-events must be between 1 and 1000000, got " + everyEvents);
        }
        if (every.compareTo(Duration.ofMillis(100)) < 0 || every.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("audit.sign-every must be between 100ms and 1h, got " + every);
        }
    }

    /** The defaults for {@code identity}. */
    public static AuditSigning of(SigningIdentity identity) {
        return new AuditSigning(identity, DEFAULT_EVERY_EVENTS, DEFAULT_EVERY);
    }
}
