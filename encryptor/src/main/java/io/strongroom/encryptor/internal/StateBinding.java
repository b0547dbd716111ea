package io.strongroom.encryptor.internal;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.OpenSegment;
import io.strongroom.crypto.Canonical;
import io.strongroom.crypto.kms.SystemTenants;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * State format 2 of the encryptor's logged stores: what binds the buffered state to its place, so that a principal
 * who can write the changelog topics cannot move a tenant's buffered rows under another tenant or partition, nor
 * truncate or re-count a segment, without the encryptor noticing.
 *
 * <p><b>Buffered record</b> (in {@code segment-records}, key {@code segmentId/sequence}): AEAD under the segment's
 * data key with associated data
 *
 * <pre>
 * "SRREC2" | str environment | str tenant | str sourceTopic | i32 partition | str segmentId | i64 sequence
 * </pre>
 *
 * where {@code tenant} is the tenant the data belongs to: the segment's tenant, or for a held stream (whose data key
 * is the quarantine key's) the tenant its store key names.
 *
 * <p><b>Open-segment record</b> (in {@code open-segments}, key {@code tenant/partition} or
 * {@code tenant/partition!held}): its {@code binding} is {@code AEAD(dek).encrypt(empty, associatedData)} (a tag),
 * the associated data
 *
 * <pre>
 * "SROPEN2" | str environment | str storeKey | str segmentId | str tenant | str stream | str sourceTopic
 * | i32 sourcePartition | str keyId | str keyVersion | bytes wrappedDek | str dekAlgorithm | i64 firstOffset
 * | i64 lastOffset | i32 recordCount | i32 firstSequence | i64 plaintextBytes | i64 openedAtMs | i64 minEventTimeMs
 * | i64 maxEventTimeMs | str predecessorSegmentId ("" if none) | str classification ("" if none)
 * </pre>
 *
 * (strings and bytes {@code int32 length | bytes}, integers big-endian). The buffered records of a segment must be
 * exactly sequences {@code firstSequence .. recordCount-1}; that is checked when a segment is sealed or a held
 * stream released.
 */
public final class StateBinding {
    private static final byte[] RECORD_MAGIC = "SRREC2".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPEN_MAGIC = "SROPEN2".getBytes(StandardCharsets.US_ASCII);

    private StateBinding() {}

    /**
     * Associated data of one buffered record; see the class comment. Built straight into one array of its exact size:
     * it runs for every record.
     */
    static byte[] recordContext(String environment, String tenant, String sourceTopic, int partition, String segmentId,
            long sequence) {
        byte[] env = environment.getBytes(StandardCharsets.UTF_8);
        byte[] ten = tenant.getBytes(StandardCharsets.UTF_8);
        byte[] top = sourceTopic.getBytes(StandardCharsets.UTF_8);
        byte[] seg = segmentId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(RECORD_MAGIC.length + 4 * 4 + env.length + ten.length + top.length + 4 + seg.length + 8)
                .put(RECORD_MAGIC).putInt(env.length).put(env).putInt(ten.length).put(ten).putInt(top.length).put(top)
                .putInt(partition).putInt(seg.length).put(seg).putLong(sequence).array();
    }

    /** {@code segment} with its binding set (computed under {@code dek}), for storing under {@code storeKey}. */
    static OpenSegment bind(String environment, String storeKey, OpenSegment segment, Aead dek) {
        try {
            segment.setBinding(ByteBuffer.wrap(dek.encrypt(new byte[0], openContext(environment, storeKey, segment))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed for the open segment " + segment.getSegmentId(), e);
        }
        return segment;
    }

    /**
     * Checks that {@code segment}, read under {@code storeKey}, is what this encryptor wrote there: {@link #checkPlace}
     * and {@link #checkTag}.
     *
     * @throws TamperedStateException if it is not: written before state format 2, under another key, or edited
     */
    static void verify(String environment, String storeKey, OpenSegment segment, Aead dek) {
        checkPlace(storeKey, segment, segment.getKeyId());
        checkTag(environment, storeKey, segment, dek);
    }

    /**
     * The checks that need no key, made before the KMS is asked to unwrap the (so far unauthenticated) data key: the
     * record has a binding, and its tenant, partition and KEK are those its store key names ({@code keyId}: the KEK
     * of the tenant the store key names, the quarantine KEK for a held stream).
     *
     * @throws TamperedStateException if not
     */
    static void checkPlace(String storeKey, OpenSegment segment, String keyId) {
        String where = where(storeKey, segment);
        if (segment.getBinding() == null) {
            throw new TamperedStateException(where + " has no binding: it was written by an encryptor before state format 2 "
                    + "(or the binding was stripped); refused, nothing sealed. Drain the old encryptor before upgrading "
                    + "(README, encryptor section)");
        }
        if (!tenantOf(storeKey).equals(segment.getTenant()) || partitionOf(storeKey) != segment.getSourcePartition()) {
            throw new TamperedStateException(where + " is tenant " + segment.getTenant() + " partition "
                    + segment.getSourcePartition() + ", not what its store key says: moved; refused, nothing sealed");
        }
        if (!keyId.equals(segment.getKeyId())) {
            throw new TamperedStateException(where + " names key " + segment.getKeyId() + ", not its tenant's (" + keyId
                    + "): moved or edited; refused, nothing sealed");
        }
    }

    /** The tag check, under the segment's data key. @throws TamperedStateException if it fails */
    static void checkTag(String environment, String storeKey, OpenSegment segment, Aead dek) {
        byte[] tag = new byte[segment.getBinding().remaining()];
        segment.getBinding().duplicate().get(tag);
        try {
            if (dek.decrypt(tag, openContext(environment, storeKey, segment)).length != 0) {
                throw new GeneralSecurityException("not an empty tag");
            }
        } catch (GeneralSecurityException e) {
            throw new TamperedStateException(where(storeKey, segment) + " does not authenticate under its data key: it "
                    + "was edited (its count, offsets or any other field) or moved from another store key; refused, nothing sealed");
        }
    }

    static String where(String storeKey, OpenSegment segment) {
        return "open segment " + segment.getSegmentId() + " under " + storeKey;
    }

    /** Whether {@code storeKey} is a held stream's ({@code tenant/partition!held}). */
    static boolean isHeld(String storeKey) {
        return storeKey.endsWith(SegmentProcessor.HELD_SUFFIX);
    }

    /** {@code tenant/partition} of a store key, without the held suffix. */
    static String stream(String storeKey) {
        return isHeld(storeKey) ? storeKey.substring(0, storeKey.length() - SegmentProcessor.HELD_SUFFIX.length()) : storeKey;
    }

    /** The tenant a store key's segment record must name: the tenant, or the quarantine tenant for a held stream. */
    static String tenantOf(String storeKey) {
        return isHeld(storeKey) ? SystemTenants.QUARANTINE : owner(storeKey);
    }

    /** The tenant whose data a segment stored under {@code storeKey} holds. */
    static String owner(String storeKey) {
        String base = stream(storeKey);
        return base.substring(0, Math.max(0, base.lastIndexOf('/')));
    }

    /** The partition a store key names, -1 if none. */
    static int partitionOf(String storeKey) {
        String base = stream(storeKey);
        try {
            return Integer.parseInt(base.substring(base.lastIndexOf('/') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static byte[] openContext(String environment, String storeKey, OpenSegment s) {
        return Canonical.bytes(256, out -> {
            out.write(OPEN_MAGIC);
            Canonical.str(out, environment);
            Canonical.str(out, storeKey);
            Canonical.str(out, s.getSegmentId());
            Canonical.str(out, s.getTenant());
            Canonical.str(out, s.getStream());
            Canonical.str(out, s.getSourceTopic());
            out.writeInt(s.getSourcePartition());
            Canonical.str(out, s.getKeyId());
            Canonical.str(out, s.getKeyVersion());
            ByteBuffer dek = s.getWrappedDek().duplicate();
            out.writeInt(dek.remaining());
            while (dek.hasRemaining()) {
                out.write(dek.get());
            }
            Canonical.str(out, s.getDekAlgorithm());
            out.writeLong(s.getFirstOffset());
            out.writeLong(s.getLastOffset());
            out.writeInt(s.getRecordCount());
            out.writeInt(s.getFirstSequence());
            out.writeLong(s.getPlaintextBytes());
            out.writeLong(s.getOpenedAtMs());
            out.writeLong(s.getMinEventTimeMs());
            out.writeLong(s.getMaxEventTimeMs());
            Canonical.str(out, s.getPredecessorSegmentId() == null ? "" : s.getPredecessorSegmentId());
            Canonical.str(out, s.getClassification() == null ? "" : s.getClassification().name());
        });
    }

    /** The buffered state is not what this encryptor wrote: the task stops, nothing is sealed from it. */
    public static final class TamperedStateException extends IllegalStateException {
        public TamperedStateException(String message) {
            super(message);
        }
    }
}
