package io.strongroom.anomaly;

import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the anomaly detector.
 *
 * @param applicationId Kafka Streams application id
 * @param window length of the windows (event time) that volumes and failures are counted in
 * @param failureThreshold failed or denied key uses of one principal in one window that make an alert
 * @param unwrapFactor an alert when a principal unwraps more than this many times its usual volume per window
 * @param unwrapMinimum ... and more than this many keys in the window (small volumes never alert)
 * @param warmupWindows windows of a principal's history before its volume can alert
 * @param expectedUnwrappers principals that unwrap data keys in normal operation (a trailing {@code *} matches a prefix);
 *     an unwrap by anyone else alerts at once
 * @param restorePrincipals principals whose unwraps are restores
 * @param restoreWindow when restores are allowed, {@code HH:mm-HH:mm} UTC (may wrap midnight); null for any time
 */
public record AnomalyConfig(String applicationId, Duration window, Integer failureThreshold, Double unwrapFactor,
        Integer unwrapMinimum, Integer warmupWindows, List<String> expectedUnwrappers, List<String> restorePrincipals,
        String restoreWindow) {
    public AnomalyConfig {
        applicationId = Objects.requireNonNullElse(applicationId, "strongroom-anomaly");
        window = Objects.requireNonNullElse(window, Duration.ofMinutes(1));
        failureThreshold = Objects.requireNonNullElse(failureThreshold, 5);
        unwrapFactor = Objects.requireNonNullElse(unwrapFactor, 5.0);
        unwrapMinimum = Objects.requireNonNullElse(unwrapMinimum, 100);
        warmupWindows = Objects.requireNonNullElse(warmupWindows, 3);
        expectedUnwrappers = List.copyOf(Objects.requireNonNullElse(expectedUnwrappers,
                List.of("restore", "verify", "coordinator", "operator:*")));
        restorePrincipals = List.copyOf(Objects.requireNonNullElse(restorePrincipals, List.of("restore")));
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("anomaly.window must be at least PT1S, got " + window);
        }
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("anomaly.failure-threshold must be at least 1, got " + failureThreshold);
        }
        if (unwrapFactor <= 1.0) {
            throw new IllegalArgumentException("anomaly.unwrap-factor must be more than 1, got " + unwrapFactor);
        }
        if (unwrapMinimum < 0 || warmupWindows < 0) {
            throw new IllegalArgumentException("anomaly.unwrap-minimum and anomaly.warmup-windows must not be negative");
        }
        if (restoreWindow != null) {
            restoreWindowBounds(restoreWindow);
        }
    }

    /** All defaults. */
    public static AnomalyConfig defaults() {
        return new AnomalyConfig(null, null, null, null, null, null, null, null, null);
    }

    /** Whether {@code principal} unwraps keys in normal operation. */
    public boolean expectedUnwrapper(String principal) {
        return expectedUnwrappers.stream().anyMatch(p -> p.endsWith("*") ? principal.startsWith(p.substring(0, p.length() - 1))
                : p.equals(principal));
    }

    /** Whether a restore at {@code time} (UTC) is inside {@link #restoreWindow}. */
    public boolean restoreAllowedAt(LocalTime time) {
        if (restoreWindow == null) {
            return true;
        }
        LocalTime[] b = restoreWindowBounds(restoreWindow);
        return b[0].isBefore(b[1]) || b[0].equals(b[1]) ? !time.isBefore(b[0]) && time.isBefore(b[1])
                : !time.isBefore(b[0]) || time.isBefore(b[1]); // wraps midnight
    }

    private static LocalTime[] restoreWindowBounds(String window) {
        String[] parts = window.split("-");
        try {
            if (parts.length != 2) {
                throw new IllegalArgumentException();
            }
            return new LocalTime[] {LocalTime.parse(parts[0].strip()), LocalTime.parse(parts[1].strip())};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("anomaly.restore-window must be HH:mm-HH:mm (UTC), e.g. 06:00-20:00, got '"
                    + window + "'");
        }
    }
}
