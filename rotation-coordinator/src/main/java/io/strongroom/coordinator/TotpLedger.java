package io.strongroom.coordinator;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the coordinator remembers of each principal's TOTP codes, across restarts: the last accepted
 * time step (a code of that step or an earlier one is a replay), the failed codes since the last
 * accepted one, and whether the principal is locked (after {@code maxFailures} failed codes in a
 * row; only another security officer lifts it). Kept in a JSON file (mode 0600) replaced atomically
 * on every change, before the change takes effect:
 *
 * <pre>
 * {"alice": {"lastStep": 59443200, "failures": 0, "lockedAtMs": null, "unlockedBy": null}, ...}
 * </pre>
 *
 * Thread-safe.
 */
final class TotpLedger {
    /**
     * One principal's entry.
     *
     * @param lastStep the last accepted time step, or -1
     * @param failures failed codes since the last accepted one (or the last unlock)
     * @param lockedAtMs when it was locked, or null
     * @param unlockedBy who lifted the last lock, or null
     */
    record Entry(long lastStep, int failures, Long lockedAtMs, String unlockedBy) {
        static final Entry NEW = new Entry(-1, 0, null, null);

        boolean locked() {
            return lockedAtMs != null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final int maxFailures;
    private final Map<String, Entry> entries = new TreeMap<>();

    /** Reads {@code file} if it exists. */
    TotpLedger(Path file, int maxFailures) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("coordinator.totp-max-failures must be at least 1, got " + maxFailures);
        }
        this.file = file;
        this.maxFailures = maxFailures;
        if (file != null && Files.exists(file)) {
            try {
                entries.putAll(JSON.readValue(file.toFile(), new TypeReference<Map<String, Entry>>() {}));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read TOTP state " + file + ": " + e.getMessage(), e);
            }
        }
    }

    int maxFailures() {
        return maxFailures;
    }

    synchronized Entry of(String name) {
        return entries.getOrDefault(name, Entry.NEW);
    }

    /** Records an accepted code of {@code step}: the failures are forgiven. */
    synchronized void accepted(String name, long step) {
        put(name, new Entry(step, 0, null, of(name).unlockedBy()));
    }

    /** Records a failed code; returns whether this one locked the principal. */
    synchronized boolean failed(String name, long nowMs) {
        Entry e = of(name);
        int failures = e.failures() + 1;
        boolean locks = !e.locked() && failures >= maxFailures;
        put(name, new Entry(e.lastStep(), failures, e.locked() ? e.lockedAtMs() : locks ? Long.valueOf(nowMs) : null,
                e.unlockedBy()));
        return locks;
    }

    /** Lifts {@code name}'s lock. */
    synchronized void unlock(String name, String by) {
        Entry e = of(name);
        put(name, new Entry(e.lastStep(), 0, null, by));
    }

    private void put(String name, Entry entry) {
        Map<String, Entry> next = new TreeMap<>(entries);
        next.put(name, entry);
        save(next); // on disk first: a restart never forgets a step or a lock
        entries.put(name, entry);
    }

    private void save(Map<String, Entry> next) {
        if (file == null) {
            return;
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".totp", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), next);
                try (var channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save TOTP state " + file + ": " + e.getMessage(), e);
        }
    }
}
