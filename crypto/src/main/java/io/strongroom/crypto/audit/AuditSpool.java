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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One emitter's write-ahead copy of its audit events, so that an event is durable before the key
 * operation it records returns, whether or not Kafka has acknowledged it yet. File
 * {@code DIR/EMITTER.spool} (mode 0600, directory 0700), held under an exclusive file lock while its
 * emitter lives; one line per entry:
 *
 * <pre>
 * event line:   Base64(Avro single-object encoding of the AuditEvent) "\n"
 * marker line:  "#acked " partition " " offset " " sequence "\n"   (Kafka acknowledged that sequence there)
 * </pre>
 *
 * Appends are forced to disk in groups ({@link #awaitDurable}: one {@code fsync} covers every
 * event written before it, whoever asked). Once every event in it is acknowledged the file is
 * emptied (past {@code compactAbove} bytes) and starts again with the latest marker. A file whose
 * emitter died (no lock held) is an orphan: {@link AuditSpoolShipper} ships what Kafka lacks.
 */
final class AuditSpool implements AutoCloseable {
    static final String SUFFIX = ".spool";
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    /** Spool files open in this JVM: never treated as orphans (closing another channel would drop their lock). */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    /** Kafka acknowledged {@code sequence} at {@code partition}/{@code offset}. */
    record Ack(int partition, long offset, long sequence) {}

    /** What a spool file holds: its events in order, and the latest acknowledgement it recorded (or null). */
    record Contents(List<AuditEvent> events, Ack latestAck) {}

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final long compactAbove;
    private long written; // bytes appended so far
    private long durable; // bytes known forced
    private boolean forcing;
    private long lastAppended = -1;
    private Ack markedAck;
    private IOException failure;

    private AuditSpool(Path file, FileChannel channel, FileLock lock, long compactAbove) throws IOException {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.compactAbove = compactAbove;
        this.written = channel.size();
        this.durable = written;
    }

    /** Creates {@code dir/emitter.spool} and locks it. */
    static AuditSpool create(Path dir, String emitter, long compactAbove) {
        Path file = dir.resolve(emitter + SUFFIX).toAbsolutePath();
        try {
            ensureDirectory(dir);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new IOException("locked by another process");
            }
            OPEN.add(file);
            return new AuditSpool(file, channel, lock, compactAbove);
        } catch (IOException e) {
            throw new AuditUnavailableException("cannot create audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    static void ensureDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    Path file() {
        return file;
    }

    /**
     * Appends {@code event} (not yet forced), after a marker of {@code ack} if it is newer than the last
     * one written; empties the file first if every event in it is acknowledged and it is large.
     *
     * @return the position to pass to {@link #awaitDurable}
     */
    synchronized long append(AuditEvent event, Ack ack) {
        try {
            if (failure != null) {
                throw failure;
            }
            if (ack != null && ack.sequence() == lastAppended && written > compactAbove) {
                channel.truncate(0); // everything in it is on the topic
                written = 0;
                durable = 0;
                markedAck = null;
            }
            StringBuilder lines = new StringBuilder(512);
            if (ack != null && (markedAck == null || ack.sequence() > markedAck.sequence())) {
                lines.append("#acked ").append(ack.partition()).append(' ').append(ack.offset()).append(' ')
                        .append(ack.sequence()).append('\n');
                markedAck = ack;
            }
            lines.append(Base64.getEncoder().encodeToString(SERDE.encode(event))).append('\n');
            ByteBuffer buffer = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.US_ASCII));
            while (buffer.hasRemaining()) {
                written += channel.write(buffer);
            }
            lastAppended = event.getSequence();
            return written;
        } catch (IOException e) {
            failure = e;
            throw new AuditUnavailableException("cannot write audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns once everything up to {@code position} is on disk. Group commit: one caller forces,
     * the others arriving meanwhile wait for that force or the next one.
     */
    void awaitDurable(long position) {
        while (true) {
            long upTo;
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
            }
            IOException error = null;
            try {
                channel.force(false);
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

    /** Closes the spool and deletes its file: every event in it is on the topic. */
    void closeAndDelete() {
        release(true);
    }

    private synchronized void release(boolean delete) {
        try {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
            } finally {
                channel.close();
                OPEN.remove(file);
            }
            if (delete) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close audit spool " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Spool files in {@code dir} whose emitter is gone (none of this JVM's, none locked by another
     * process), each locked now: close or delete the returned orphans to release them.
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
            FileChannel channel = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close(); // its emitter is alive (another process)
                continue;
            }
            found.add(new Orphan(f, channel, lock));
        }
        return found;
    }

    /** A spool file whose emitter is gone, locked by us until {@link #delete} or {@link #close}. */
    record Orphan(Path file, FileChannel channel, FileLock lock) implements AutoCloseable {
        String emitter() {
            String name = file.getFileName().toString();
            return name.substring(0, name.length() - SUFFIX.length());
        }

        Contents read() throws IOException {
            return AuditSpool.read(file);
        }

        /** Deletes the file (its events are on the topic) and releases it. */
        void delete() throws IOException {
            Files.deleteIfExists(file);
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
     * What {@code file} holds. A last line cut short (the process died while writing it; its
     * operation never returned) is ignored; any other unreadable line is an error.
     */
    static Contents read(Path file) throws IOException {
        List<AuditEvent> events = new ArrayList<>();
        Ack latest = null;
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            boolean last = i == lines.length - 1; // after the final "\n": empty, or cut short
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
                    events.add(SERDE.decode(file + " line " + (i + 1), Base64.getDecoder().decode(line)));
                }
            } catch (RuntimeException e) {
                if (last) {
                    break;
                }
                throw new IOException(file + " line " + (i + 1) + " is not an audit spool entry: " + e.getMessage(), e);
            }
        }
        return new Contents(events, latest);
    }
}
