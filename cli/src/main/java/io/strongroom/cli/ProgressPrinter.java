package io.strongroom.cli;

import io.strongroom.restore.RestoreJob;
import java.io.PrintStream;

/**
 * Progress of long CLI work on stderr: a line rewritten in place on a terminal, plain lines at
 * most every two seconds otherwise (logs, CI).
 */
final class ProgressPrinter implements RestoreJob.Progress {
    private final String what;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastPrint;

    ProgressPrinter(String what, PrintStream out) {
        this.what = what;
        this.out = out;
        this.terminal = System.console() != null;
    }

    @Override
    public void update(int done, int total, long events) {
        long now = System.nanoTime();
        boolean last = done == total;
        if (!last && now - lastPrint < (terminal ? 200_000_000L : 2_000_000_000L)) {
            return;
        }
        lastPrint = now;
        double seconds = Math.max(0.001, (now - start) / 1e9);
        double rate = done / seconds;
        String eta = rate > 0 && !last ? String.format(", ETA %.0f s", (total - done) / rate) : "";
        String line = String.format("%s: %d/%d segments (%d%%), %,d events, %.0f events/s%s", what, done, total,
                total == 0 ? 100 : done * 100 / total, events, events / seconds, eta);
        if (terminal) {
            out.print("\r" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }
}
