package io.strongroom.encryptor.internal;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * State format 3: the per-partition <em>state root</em>, which makes the encryptor's logged state fresh, not only
 * authentic. A principal who writes the changelog topics could otherwise put back an older, validly tagged
 * open-segment record (and drop the rows after it), or delete a whole open segment or a chain entry.
 *
 * <p>The root (store {@code state-root}, one record per task, i.e. per {@code strongroom.changes} partition) holds,
 * encrypted under its own data key: a random MAC key, the offset of the last input record processed, and
 * {@code digest = XOR of HMAC-SHA256(macKey, kind | key | value)} over every live entry of the open-segments
 * ({@code kind} "o") and segment-chain ({@code "c"}) stores. It is rewritten in the same exactly-once transaction
 * as every change to them. At task start the encryptor recomputes the digest over what was restored (any entry put
 * back, removed or added shows) and checks the offset against the group's committed offset (an older root and the
 * entries that go with it show as records committed past it). The MAC key never leaves the encrypted root, so no
 * one without the root's data key can compute an entry's hash nor a digest.
 */
public final class StateRoot {
    /** The key of the root in store {@code state-root}. */
    public static final String KEY = "root";
    static final byte OPEN = 'o';
    static final byte CHAIN = 'c';
    private static final byte[] MAGIC = "SRROOT3".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Mac mac;
    private final byte[] macKey;
    private final byte[] digest = new byte[32];
    private final Map<String, byte[]> hashes = new HashMap<>();
    private long lastOffset;
    private boolean dirty;

    private StateRoot(byte[] macKey, long lastOffset) {
        this.macKey = macKey;
        this.lastOffset = lastOffset;
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A new root (no entries yet), at {@code lastOffset}. */
    static StateRoot fresh(long lastOffset) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        StateRoot root = new StateRoot(key, lastOffset);
        root.dirty = true;
        return root;
    }

    /** The root {@link #seal sealed} as {@code ciphertext}; its digest is checked later, by {@link #matches}. */
    static Opened open(String environment, int partition, byte[] ciphertext, Aead dek) throws GeneralSecurityException {
        ByteBuffer plain = ByteBuffer.wrap(dek.decrypt(ciphertext, context(environment, partition)));
        byte[] key = new byte[32];
        plain.get(key);
        long lastOffset = plain.getLong();
        byte[] digest = new byte[32];
        plain.get(digest);
        return new Opened(new StateRoot(key, lastOffset), digest);
    }

    /** A root as stored, and the digest it recorded. */
    record Opened(StateRoot root, byte[] recordedDigest) {
        /** Whether the entries {@link StateRoot#put} since opening are exactly those the root recorded. */
        boolean matches() {
            return MessageDigest.isEqual(root.digest, recordedDigest);
        }
    }

    /** The root's plaintext under {@code dek}: {@code macKey | i64 lastOffset | digest}, AAD "SRROOT3" | env | partition. */
    byte[] seal(String environment, int partition, Aead dek) throws GeneralSecurityException {
        dirty = false;
        byte[] plain = ByteBuffer.allocate(72).put(macKey).putLong(lastOffset).put(digest).array();
        return dek.encrypt(plain, context(environment, partition));
    }

    private static byte[] context(String environment, int partition) {
        byte[] env = environment.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(MAGIC.length + 4 + env.length + 4).put(MAGIC).putInt(env.length).put(env)
                .putInt(partition).array();
    }

    /** Entry {@code key} of store {@code kind} is now {@code value} (null: deleted). */
    void put(byte kind, String key, byte[] value) {
        String id = (char) kind + key;
        byte[] old = value == null ? hashes.remove(id) : hashes.put(id, hash(kind, key, value));
        if (old != null) {
            xor(old);
        }
        if (value != null) {
            xor(hashes.get(id));
        }
        dirty = true;
    }

    void processed(long offset) {
        lastOffset = offset;
        dirty = true;
    }

    long lastOffset() {
        return lastOffset;
    }

    boolean dirty() {
        return dirty;
    }

    /** Nothing to write: what is stored is this root. */
    void clean() {
        dirty = false;
    }

    private byte[] hash(byte kind, String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        mac.update(kind);
        mac.update(ByteBuffer.allocate(4).putInt(k.length).array());
        mac.update(k);
        return mac.doFinal(value);
    }

    private void xor(byte[] h) {
        for (int i = 0; i < digest.length; i++) {
            digest[i] ^= h[i];
        }
    }
}
