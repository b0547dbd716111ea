package io.strongroom.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Knows which of the local processes ({@code DIR/pids}) must be running — all of them, but for the one a fault
 * has taken down on purpose — and fails a wait as soon as one of them is not: a service that died on its own is
 * a finding, not something to wait out.
 */
final class ProcessWatchdog implements Waits.Check {
    private final Path dir;
    private final Set<String> expected = ConcurrentHashMap.newKeySet();

    ProcessWatchdog(Path dir) {
        this.dir = dir;
    }

    /** {@code name} must run from now on. */
    void expect(String name) {
        expected.add(name);
    }

    /** {@code name} may be down (a fault takes it down on purpose). */
    void release(String name) {
        expected.remove(name);
    }

    /** @throws IllegalStateException naming the first process that should run and does not, its log and its last lines */
    @Override
    public void check() {
        for (String name : expected) {
            if (LocalCommand.process(dir, name).isEmpty()) {
                Path log = dir.resolve("logs").resolve(name + ".log");
                throw new IllegalStateException("the " + name + " process is not running any more (not stopped by the run); "
                        + "see " + log + tail(log));
            }
        }
    }

    /** The last lines of {@code log}, indented, or nothing if it cannot be read. */
    static String tail(Path log) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long from = Math.max(0, f.length() - 8192); // the end of a log that may be large (the broker's)
            byte[] end = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(end);
            List<String> lines = new String(end, StandardCharsets.UTF_8).lines().toList();
            return lines.isEmpty() ? "" : "; its last lines:\n    "
                    + String.join("\n    ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * The last {@code n} distinct ERROR lines of {@code log} (from its last 4 MB; the text after the logger name,
     * first line of each), indented, or nothing: what a stage that stopped moving last complained of, for a failure
     * message that must say why without the log at hand (a CI run's).
     */
    static String lastErrors(Path log, int n) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long from = Math.max(0, f.length() - 4 * 1024 * 1024);
            byte[] end = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(end);
            LinkedHashMap<String, String> last = new LinkedHashMap<>(); // message -> line, newest last
            for (String line : new String(end, StandardCharsets.UTF_8).lines().toList()) {
                if (line.length() > 13 && line.startsWith("ERROR", 13)) {
                    int dash = line.indexOf(" - ");
                    String message = dash < 0 ? line : line.substring(dash + 3);
                    last.remove(message);
                    last.put(message, line.length() > 600 ? line.substring(0, 600) + " ..." : line);
                }
            }
            List<String> lines = List.copyOf(last.values());
            return lines.isEmpty() ? "; it logged no ERROR" : "; its last errors:\n    "
                    + String.join("\n    ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
