package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.AvroSerde;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One emitter's write-ahead copy of its audit events, so that an event is durable before the key
 * operation it records returns, whether or not Kafka has acknowledged it yet. Files
 * {@code DIR/EMITTER.spool} (the events) and {@code DIR/EMITTER.lock} (held under an exclusive file
 * lock while the emitter lives), mode 0600 in a 0700 directory; one line per entry in the spool:
 *
 * <pre>
 * event line:   Base64(the AuditEvent's bytes as written: Avro single-object encoding) "\n"
 * marker line:  "#acked " partition " " offset " " sequence "\n"   (Kafka acknowledged that sequence there)
 * </pre>
 *
 * Appends are forced to disk in groups ({@link #awaitDurable}: one {@code fsync} covers every
 * event written before it, whoever asked). Past {@code compactAbove} bytes the spool is rewritten
 * (new file, forced, renamed over the old one) with the latest marker and only the events Kafka has
 * not acknowledged yet. A spool whose lock nobody holds belongs to an emitter that died: an
 * {@link Orphan}, which {@link AuditSpoolShipper} ships.
 */
final class AuditSpool implements AutoCloseable {
    static final String SUFFIX = ".spool";
    static final String LOCK = ".lock";
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private static final FileAttribute<?> OWNER_ONLY = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    /** Emitters of this JVM: never orphans (and never locked twice: closing a second channel drops a POSIX lock). */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    /** Kafka acknowledged {@code sequence} at {@code partition}/{@code offset}. */
    record Ack(int partition, long offset, long sequence) {}

    /** What a spool file holds: its events in order, and the latest acknowledgement it recorded (or null). */
    record Contents(List<HashChain.Written> events, Ack latestAck) {}

    private record Line(long sequence, byte[] bytes) {}

    private final Path file;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final long compactAbove;
    private final Deque<Line> unacknowledged = new ArrayDeque<>();
    private FileChannel channel;
    private long fileSize;
    private long written; // bytes appended since creation, across rewrites: positions for awaitDurable
    private long durable; // of those, known forced
    private boolean forcing;
    private long lastAppended = -1;
    private Ack markedAck;
    private IOException failure;

    private AuditSpool(Path file, Path lockFile, FileChannel lockChannel, FileLock lock, FileChannel channel, long compactAbove) {
        this.file = file;
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.channel = channel;
        this.compactAbove = compactAbove;
    }

    /** Creates and locks {@code dir/emitter.spool}. */
    static AuditSpool create(Path dir, String emitter, long compactAbove) {
        Path file = dir.resolve(emitter + SUFFIX).toAbsolutePath();
        Path lockFile = dir.resolve(emitter + LOCK).toAbsolutePath();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!OPEN.add(file)) {
                throw new IOException("already open in this process");
            }
            FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.tryLock();
            if (lock == null) {
                lockChannel.close();
                throw new IOException("locked by another process");
            }
            Files.createFile(file, OWNER_ONLY);
            Files.setPosixFilePermissions(lockFile, PosixFilePermissions.fromString("rw-------"));
            FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            return new AuditSpool(file, lockFile, lockChannel, lock, channel, compactAbove);
        } catch (IOException e) {
            OPEN.remove(file);
            throw new AuditUnavailableException("cannot create audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    /**
     * Appends {@code event} (not yet forced), after a marker of {@code ack} if it is newer than the last
     * one written; rewrites the spool first if it is large.
     *
     * @param ack the latest acknowledgement from Kafka, or null
     * @return the position to pass to {@link #awaitDurable}
     */
    synchronized long append(HashChain.Written event, Ack ack) {
        try {
            if (failure != null) {
                throw failure;
            }
            while (ack != null && !unacknowledged.isEmpty() && unacknowledged.peekFirst().sequence() <= ack.sequence()) {
                unacknowledged.removeFirst();
            }
            if (fileSize > compactAbove) {
                rewrite(ack);
            }
            StringBuilder text = new StringBuilder(512);
            if (ack != null && (markedAck == null || ack.sequence() > markedAck.sequence())) {
                text.append(marker(ack));
                markedAck = ack;
            }
            byte[] line = (Base64.getEncoder().encodeToString(event.bytes()) + "\n").getBytes(StandardCharsets.US_ASCII);
            byte[] bytes = text.length() == 0 ? line : concat(text.toString().getBytes(StandardCharsets.US_ASCII), line);
            write(channel, bytes);
            fileSize += bytes.length;
            written += bytes.length;
            unacknowledged.addLast(new Line(event.event().getSequence(), line));
            lastAppended = event.event().getSequence();
            return written;
        } catch (IOException e) {
            failure = e;
            throw new AuditUnavailableException("cannot write audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the spool by one holding the latest marker and the unacknowledged events; under the monitor. */
    private void rewrite(Ack ack) throws IOException {
        while (forcing) { // a force in progress uses the channel being replaced
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while rewriting the audit spool", e);
            }
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        long size = 0;
        try (FileChannel out = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY)) {
            if (ack != null) {
                byte[] m = marker(ack).getBytes(StandardCharsets.US_ASCII);
                write(out, m);
                size += m.length;
            }
            for (Line l : unacknowledged) {
                write(out, l.bytes());
                size += l.bytes().length;
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        channel.close();
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileSize = size;
        markedAck = ack;
        durable = written; // everything written so far is in the new file, forced
        notifyAll();
    }

    /**
     * Returns once everything up to {@code position} is on disk. Group commit: one caller forces,
     * the others arriving meanwhile wait for that force or the next one.
     */
    void awaitDurable(long position) {
        while (true) {
            long upTo;
            FileChannel forced;
            synchronized (this) {
                while (failure == null && durable < position && forcing) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AuditUnavailableException("interrupted while forcing the audit spool", e);
                    }
                }
                if (failure != null) {
                    throw new AuditUnavailableException("cannot write audit spool " + file + ": " + failure.getMessage(), failure);
                }
                if (durable >= position) {
                    return;
                }
                forcing = true;
                upTo = written;
                forced = channel;
            }
            IOException error = null;
            try {
                forced.force(false);
            } catch (IOException e) {
                error = e;
            }
            synchronized (this) {
                forcing = false;
                if (error != null) {
                    failure = error;
                } else {
                    durable = Math.max(durable, upTo);
                }
                notifyAll();
            }
        }
    }

    /** Whether every event appended is acknowledged, as of {@code ack}. */
    synchronized boolean allAcknowledged(Ack ack) {
        return lastAppended < 0 || ack != null && ack.sequence() >= lastAppended;
    }

    /** Closes the spool, keeping its file (an orphan for the next start to ship). */
    @Override
    public void close() {
        release(false);
    }

    /** Closes the spool and deletes its files: every event in it is on the topic. */
    void closeAndDelete() {
        release(true);
    }

    private synchronized void release(boolean delete) {
        try {
            try {
                channel.close();
                if (delete) {
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(lockFile);
                }
            } finally {
                try {
                    lock.release();
                } finally {
                    lockChannel.close();
                    OPEN.remove(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    private static String marker(Ack ack) {
        return "#acked " + ack.partition() + " " + ack.offset() + " " + ack.sequence() + "\n";
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void write(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Spools in {@code dir} whose emitter is gone (none of this JVM's, no lock held by another
     * process), each locked now: delete or close the returned orphans to release them.
     */
    static List<Orphan> orphans(Path dir) throws IOException {
        List<Orphan> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).map(Path::toAbsolutePath).sorted().toList();
        }
        for (Path f : files) {
            if (OPEN.contains(f)) {
                continue;
            }
            String name = f.getFileName().toString();
            Path lockFile = f.resolveSibling(name.substring(0, name.length() - SUFFIX.length()) + LOCK);
            FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), OWNER_ONLY);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null || !Files.exists(f)) { // alive in another process, or shipped meanwhile
                if (lock != null) {
                    lock.release();
                }
                channel.close();
                continue;
            }
            found.add(new Orphan(f, lockFile, channel, lock));
        }
        return found;
    }

    /** A spool whose emitter is gone, locked by us until {@link #delete} or {@link #close}. */
    record Orphan(Path file, Path lockFile, FileChannel channel, FileLock lock) implements AutoCloseable {
        String emitter() {
            String name = file.getFileName().toString();
            return name.substring(0, name.length() - SUFFIX.length());
        }

        Contents read() throws IOException {
            return AuditSpool.read(file);
        }

        /** Deletes the spool (its events are on the topic) and releases it. */
        void delete() throws IOException {
            Files.deleteIfExists(file);
            Files.deleteIfExists(lockFile);
            close();
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    /**
     * What {@code file} holds (nothing if it is gone). A last line cut short (the process died while
     * writing it; its operation never returned) is ignored; any other unreadable line is an error.
     */
    static Contents read(Path file) throws IOException {
        List<HashChain.Written> events = new ArrayList<>();
        Ack latest = null;
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return new Contents(events, null);
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.startsWith("#acked ")) {
                    String[] f = line.substring(7).split(" ");
                    Ack ack = new Ack(Integer.parseInt(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
                    if (latest == null || ack.sequence() > latest.sequence()) {
                        latest = ack;
                    }
                } else {
                    byte[] bytes = Base64.getDecoder().decode(line);
                    events.add(new HashChain.Written(SERDE.decode(file + " line " + (i + 1), bytes), bytes));
                }
            } catch (RuntimeException e) {
                if (i == lines.length - 1) {
                    break; // no "\n" after it: cut short
                }
                throw new IOException(file + " line " + (i + 1) + " is not an audit spool entry: " + e.getMessage(), e);
            }
        }
        return new Contents(events, latest);
    }
}
