package io.strongroom.testkit;

import org.junit.jupiter.api.Assumptions;

/**
 * A service a test needs (SoftHSM2, PostgreSQL...). Missing on a developer machine: the test is
 * skipped with the reason. Missing in CI ({@code CI=true}): the test fails, so a broken CI
 * image can never pass by skipping.
 */
public final class RequiredService {
    private RequiredService() {}

    /** Whether this run is CI. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Skips (locally) or fails (in CI) unless {@code available}.
     *
     * @param service what is needed, e.g. "SoftHSM2"
     * @param why how to get it, e.g. "apt-get install softhsm2"
     */
    public static void require(String service, boolean available, String why) {
        if (available) {
            return;
        }
        if (inCi()) {
            throw new AssertionError("CI=true but " + service + " is not available: " + why);
        }
        Assumptions.abort(service + " is not available, skipping: " + why);
    }
}
