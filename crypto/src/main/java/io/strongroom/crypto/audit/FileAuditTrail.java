package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.AvroSerde;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A hash-chained audit trail in a local file, for work that must run while Kafka is down (a
 * disaster-recovery restore): one event per line, Base64 of its Avro single-object encoding, each
 * line forced to disk before the audited operation proceeds. {@code strongroom audit verify --file}
 * checks it; {@code strongroom audit ship --file} appends it to {@code strongroom.audit} once Kafka
 * is back. Appending to an existing file continues its chain.
 */
public final class FileAuditTrail implements AuditTrail {
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private final Path file;
    private final FileChannel channel;
    private final HashChain chain;

    private FileAuditTrail(Path file, FileChannel channel, HashChain chain) {
        this.file = file;
        this.channel = channel;
        this.chain = chain;
    }

    /** Opens (or creates, mode 0600) {@code file}, continuing the chain of {@code emitter} found in it. */
    public static FileAuditTrail open(Path file, String emitter) {
        try {
            List<AuditEvent> existing = Files.exists(file) ? read(file) : List.of();
            HashChain chain = new HashChain(emitter);
            for (AuditEvent e : existing) {
                if (e.getEmitter().equals(emitter)) {
                    chain = HashChain.resume(e);
                }
            }
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            }
            FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            return new FileAuditTrail(file, channel, chain);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open audit file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void record(AuditRecord record) {
        HashChain.Written event = chain.append(record, System.currentTimeMillis());
        byte[] line = (Base64.getEncoder().encodeToString(event.bytes()) + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false); // on disk before the audited operation goes on
        } catch (IOException e) {
            throw new AuditUnavailableException("cannot write audit file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every event in {@code file}, in order. */
    public static List<AuditEvent> read(Path file) throws IOException {
        return readWritten(file).stream().map(HashChain.Written::event).toList();
    }

    /** Every event in {@code file}, in order, with the bytes it was written as (to verify and ship them unchanged). */
    public static List<HashChain.Written> readWritten(Path file) throws IOException {
        List<HashChain.Written> events = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                byte[] bytes = Base64.getDecoder().decode(line.strip());
                events.add(new HashChain.Written(SERDE.decode(file + " line " + n, bytes), bytes));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " line " + n + " is not an audit event: " + e.getMessage(), e);
            }
        }
        return events;
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close audit file " + file, e);
        }
    }
}
