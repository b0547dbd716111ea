package io.strongroom.crypto;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/** Opens sealed segments with nothing but their bytes and the KMS. */
public final class SegmentOpener {
    private final Kms kms;
    private final Duration timeout;

    public SegmentOpener(Kms kms, Duration timeout) {
        this.kms = kms;
        this.timeout = timeout;
    }

    /** The segment's data key, unwrapped by the KMS with the context its header names. */
    public Aead dataKey(SegmentHeader h) {
        byte[] wrapped = new byte[h.getWrappedDek().remaining()];
        h.getWrappedDek().duplicate().get(wrapped);
        return Kmses.await(kms.unwrapDek(new WrappedDek(h.getKeyId(), h.getKeyVersion(), h.getDekAlgorithm(), wrapped),
                new DekContext(h.getEnvironment(), h.getTenant(), h.getSegmentId())), timeout);
    }

    /** Unwraps and decrypts; returns the records in order as views into one decrypted batch. */
    public List<ByteBuffer> openViews(String where, Segment segment) {
        return SegmentCrypto.openViews(where, segment, dataKey(segment.header()));
    }

    /** Parses, checks, unwraps and decrypts; returns the records in order. */
    public List<byte[]> open(String where, Segment segment) {
        return SegmentCrypto.open(where, segment, dataKey(segment.header()));
    }

    /**
     * Parses, checks, unwraps and decrypts {@code bytes}.
     *
     * @throws SegmentFormatException if the bytes are not an intact, authentic segment
     * @throws KmsException if its data key cannot be unwrapped
     */
    public List<byte[]> open(String where, byte[] bytes) {
        return open(where, Segment.parse(where, bytes));
    }
}
