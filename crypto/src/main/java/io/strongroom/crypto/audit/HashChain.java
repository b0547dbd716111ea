package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * One emitter's hash chain. Event {@code n} carries sequence {@code n}, the hash of event
 * {@code n-1} (32 zero bytes for the first) and its own hash:
 *
 * <pre>
 * hash = SHA-256(previousHash || Avro binary of the event with hash = empty and attributes sorted by key)
 * </pre>
 *
 * Not thread-safe: callers serialize {@link #next}.
 */
public final class HashChain {
    /** previousHash of an emitter's first event. */
    public static final byte[] GENESIS = new byte[32];
    private static final SpecificDatumWriter<AuditEvent> WRITER = new SpecificDatumWriter<>(AuditEvent.class);

    private final String emitter;
    private long sequence;
    private byte[] previous = GENESIS;

    public HashChain(String emitter) {
        this.emitter = emitter;
    }

    public String emitter() {
        return emitter;
    }

    /** A chain that continues after {@code last}, the latest event of its emitter. */
    public static HashChain resume(AuditEvent last) {
        HashChain chain = new HashChain(last.getEmitter());
        chain.sequence = last.getSequence() + 1;
        byte[] hash = new byte[last.getHash().remaining()];
        last.getHash().duplicate().get(hash);
        chain.previous = hash;
        return chain;
    }

    /** The next event of the chain for {@code record} at {@code timestampMs}. */
    public AuditEvent next(AuditRecord record, long timestampMs) {
        AuditEvent event = AuditEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setEmitter(emitter).setSequence(sequence).setTimestampMs(timestampMs)
                .setPrincipal(record.principal()).setAction(record.action()).setOutcome(record.outcome())
                .setTenant(record.tenant()).setKeyId(record.keyId()).setKeyVersion(record.keyVersion())
                .setSegmentId(record.segmentId()).setDetail(record.detail()).setAttributes(new TreeMap<>())
                .setPreviousHash(ByteBuffer.wrap(previous)).setHash(ByteBuffer.allocate(0)).build();
        byte[] hash = hash(event);
        event.setHash(ByteBuffer.wrap(hash));
        previous = hash;
        sequence++;
        return event;
    }

    /** The hash {@code event} should carry, recomputed from its content and previous hash. */
    public static byte[] hash(AuditEvent event) {
        AuditEvent copy = AuditEvent.newBuilder(event).setHash(ByteBuffer.allocate(0))
                .setAttributes(new TreeMap<>(event.getAttributes())).build();
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            WRITER.write(copy, encoder);
            encoder.flush();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(event.getPreviousHash().duplicate());
            return sha.digest(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
