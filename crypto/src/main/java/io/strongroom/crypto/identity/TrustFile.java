package io.strongroom.crypto.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.PublicKeyVerify;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public keys a reader trusts, pinned in a file its configuration names. JSON:
 *
 * <pre>
 * {"formatVersion": 1, "environment": "prod",
 *  "keys": [{"keyId": "archiver-…", "role": "ARCHIVER", "publicKeyset": "&lt;Tink JSON&gt;", "addedAtMs": …}]}
 * </pre>
 *
 * An entry whose key id is not the one derived from its public keyset and role is refused.
 */
public final class TrustFile {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One trusted key.
     *
     * @param keyId its id
     * @param role the role it signs as
     * @param publicKeyset its public keyset (Tink JSON)
     * @param addedAtMs when it was added
     */
    public record Key(String keyId, String role, String publicKeyset, long addedAtMs) {}

    record Stored(int formatVersion, String environment, List<Key> keys) {}

    private record Trusted(Role role, PublicKeyVerify verifier) {}

    private final String environment;
    private final List<Key> keys;
    private final Map<String, Trusted> byId = new LinkedHashMap<>();

    private TrustFile(String where, String environment, List<Key> keys) {
        this.environment = environment;
        this.keys = List.copyOf(keys);
        for (Key k : keys) {
            Role role = Role.parse(k.role());
            String derived = SigningIdentity.keyId(role, k.publicKeyset());
            if (!derived.equals(k.keyId())) {
                throw new IllegalArgumentException(where + ": key " + k.keyId() + " is not the id of its public keyset and "
                        + "role (" + derived + "): a wrong key was pasted");
            }
            byId.put(k.keyId(), new Trusted(role, SigningIdentity.verifier(where + " key " + k.keyId(), k.publicKeyset())));
        }
    }

    /** Trusts nobody yet. */
    public static TrustFile empty(String environment) {
        return new TrustFile("(new trust file)", environment, List.of());
    }

    /** Reads a trust file. */
    public static TrustFile load(Path file) {
        try {
            Stored s = JSON.readValue(file.toFile(), Stored.class);
            if (s.formatVersion() != 1 || s.environment() == null || s.keys() == null) {
                throw new IllegalArgumentException(file + " is not a Strongroom trust file of format 1");
            }
            return new TrustFile(file.toString(), s.environment(), s.keys());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read as a trust file: " + e.getMessage(), e);
        }
    }

    /** This trust plus {@code id}'s public key. */
    public TrustFile with(SigningIdentity id) {
        if (!id.environment().equals(environment)) {
            throw new IllegalArgumentException(id.keyId() + " is of environment " + id.environment() + ", this trust file of "
                    + environment);
        }
        return with(entryOf(id));
    }

    /** The trust-file entry of {@code id}'s public key (what {@code strongroom identity show} prints). */
    public static Key entryOf(SigningIdentity id) {
        return new Key(id.keyId(), id.role().name(), id.publicKeyset(), System.currentTimeMillis());
    }

    /**
     * This trust plus {@code key} (an entry another host printed).
     *
     * @throws IllegalArgumentException if its key id is not derived from its keyset and role
     */
    public TrustFile with(Key key) {
        List<Key> more = new ArrayList<>(keys);
        more.removeIf(k -> k.keyId().equals(key.keyId()));
        more.add(key);
        return new TrustFile("(trust file)", environment, more);
    }

    /** Reads one entry ({@link Key} as JSON) from {@code file}. */
    public static Key readEntry(Path file) {
        try {
            Key k = JSON.readValue(file.toFile(), Key.class);
            if (k.keyId() == null || k.role() == null || k.publicKeyset() == null) {
                throw new IllegalArgumentException(file + " is not a public-key entry (keyId, role, publicKeyset)");
            }
            return k;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read as a public-key entry: " + e.getMessage(), e);
        }
    }

    /** {@code key} as JSON, as {@link #readEntry} reads it. */
    public static String entryJson(Key key) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(key);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This trust without key {@code keyId}. */
    public TrustFile without(String keyId) {
        List<Key> fewer = new ArrayList<>(keys);
        fewer.removeIf(k -> k.keyId().equals(keyId));
        return new TrustFile("(trust file)", environment, fewer);
    }

    /** Writes it to {@code file}. */
    public void write(Path file) throws IOException {
        Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Stored(1, environment, keys)));
    }

    public String environment() {
        return environment;
    }

    public List<Key> keys() {
        return keys;
    }

    Role roleOf(String keyId) {
        Trusted t = byId.get(keyId);
        return t == null ? null : t.role();
    }

    PublicKeyVerify verifierOf(String keyId) {
        Trusted t = byId.get(keyId);
        return t == null ? null : t.verifier();
    }
}
