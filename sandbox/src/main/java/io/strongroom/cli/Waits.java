package io.strongroom.cli;

import java.time.Duration;

/**
 * Bounded polling for the local tooling ({@code local up}, the fault and load run): every wait has a deadline, names
 * what it waited for, and checks on each round that what it depends on is still alive, so that a dead producer or
 * service fails the wait at once instead of letting it run into its deadline.
 */
final class Waits {
    /** What a wait polls: true once it is done. */
    @FunctionalInterface
    interface Condition {
        boolean done() throws Exception;
    }

    /** Throws if something the wait depends on has failed (a dead process, a dead producer). */
    @FunctionalInterface
    interface Check {
        void check() throws Exception;
    }

    /** Checks nothing. */
    static final Check NOTHING = () -> { };

    private Waits() {}

    /**
     * Polls {@code condition} every {@code every} until it holds, running {@code alive} before each poll.
     *
     * @param what what is awaited, for the message ("the producer to acknowledge 5,000 events")
     * @param hint where to look when it times out (a log file), or null
     * @throws IllegalStateException after {@code timeout}: "timed out after 5 min waiting for WHAT; see HINT"
     */
    static void until(String what, Duration timeout, Duration every, Condition condition, Check alive, String hint)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            alive.check();
            if (condition.done()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after " + describe(timeout) + " waiting for " + what
                        + (hint == null ? "" : "; see " + hint));
            }
            Thread.sleep(every.toMillis()); // polling: the condition is state of other processes
        }
    }

    /** "90 s" or "5 min". */
    static String describe(Duration d) {
        return d.toSeconds() < 120 ? d.toSeconds() + " s" : d.toMinutes() + " min";
    }
}
