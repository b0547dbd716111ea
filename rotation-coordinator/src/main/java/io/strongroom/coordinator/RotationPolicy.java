package io.strongroom.coordinator;

import java.time.Duration;
import java.util.Objects;

/**
 * How a tenant's KEK is rotated.
 *
 * @param rotationPeriod a new primary version is made when the primary is this old
 * @param gracePeriod how long a superseded version must stay usable for decryption before it may be disabled
 * @param destroyWait how long a destruction waits after it was approved
 */
public record RotationPolicy(Duration rotationPeriod, Duration gracePeriod, Duration destroyWait) {
    public RotationPolicy {
        rotationPeriod = Objects.requireNonNullElse(rotationPeriod, Duration.ofDays(90));
        gracePeriod = Objects.requireNonNullElse(gracePeriod, Duration.ofDays(30));
        destroyWait = Objects.requireNonNullElse(destroyWait, Duration.ofDays(7));
        if (rotationPeriod.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("rotation-period must be at least PT1S, got " + rotationPeriod);
        }
        if (gracePeriod.isNegative() || destroyWait.isNegative()) {
            throw new IllegalArgumentException("grace-period and destroy-wait must not be negative");
        }
    }

    /** The defaults: rotate every 90 days, 30 days' grace, 7 days' wait before a destruction. */
    public static RotationPolicy defaults() {
        return new RotationPolicy(null, null, null);
    }
}
