package io.strongroom.crypto.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeyRejectedException;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.WrappedDek;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

/**
 * A signing identity stored in a file only its service can read (POSIX mode 0600). JSON:
 *
 * <pre>
 * {"formatVersion": 1, "role": "ARCHIVER", "environment": "prod", "keyId": "archiver-…",
 *  "createdAtMs": …, "publicKeyset": "&lt;Tink JSON&gt;", "keyset": "&lt;Tink JSON, private&gt;"}
 * </pre>
 *
 * A file that group or others may read is refused: whoever reads it can sign as the service.
 *
 * <p>For a service that has a KMS, the private keyset can instead be encrypted under it ({@link #createWrapped}): the
 * file then holds {@code "wrappedDek"} (a data key wrapped by the KEK of tenant {@value #KEK_TENANT}, context
 * environment/{@value #KEK_TENANT}/{@code identity-{role}}) and {@code "encryptedKeyset"} (the keyset encrypted with
 * it, Tink's encrypted keyset format, associated data the environment and role) instead of {@code "keyset"}; reading
 * it unwraps through the KMS, where it is audited, so a copy of the file alone signs nothing.
 */
public final class IdentityFile {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** The KMS tenant whose KEK wraps identities' data keys. */
    public static final String KEK_TENANT = "strongroom-identity";

    record Stored(int formatVersion, String role, String environment, String keyId, long createdAtMs, String publicKeyset,
            String keyset, WrappedKey wrappedDek, String encryptedKeyset) {
        Stored(int formatVersion, String role, String environment, String keyId, long createdAtMs, String publicKeyset,
                String keyset) {
            this(formatVersion, role, environment, keyId, createdAtMs, publicKeyset, keyset, null, null);
        }
    }

    /** A wrapped data key as JSON. */
    record WrappedKey(String keyId, String keyVersion, String algorithm, String bytes) {}

    private static DekContext context(String environment, Role role) {
        return new DekContext(environment, KEK_TENANT, "identity-" + role.name().toLowerCase(
                Locale.ROOT));
    }

    /**
     * Writes a new identity to {@code file} (mode 0600) with its private keyset encrypted under {@code kms}; refuses to
     * replace one.
     */
    public static SigningIdentity createWrapped(Path file, Role role, String environment, ManagedKms kms,
            Duration timeout) throws IOException {
        SigningIdentity id = SigningIdentity.generate(role, environment);
        byte[] bytes;
        try {
            String kek = Kmses.await(kms.createKek(KEK_TENANT), timeout);
            DataKey dek = Kmses.await(
                    kms.generateDek(kek, context(environment, role)), timeout);
            byte[] encrypted = TinkProtoKeysetFormat.serializeEncryptedKeyset(id.privateKeyset(),
                    dek.aead(), associatedData(environment, role));
            WrappedDek w = dek.wrapped();
            bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Stored(FORMAT_VERSION, role.name(), environment,
                    id.keyId(), System.currentTimeMillis(), id.publicKeyset(), null, new WrappedKey(w.keyId(), w.keyVersion(),
                    w.algorithm(), Base64.getEncoder().encodeToString(w.bytes())),
                    Base64.getEncoder().encodeToString(encrypted)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt the " + role + " identity under the KMS: " + e.getMessage(), e);
        }
        write(file, bytes);
        return id;
    }

    private static byte[] associatedData(String environment, Role role) {
        return (environment + "/" + role.name()).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the identity in {@code file} is encrypted under a KMS (and so needs one to load). */
    public static boolean isWrapped(Path file) {
        try {
            return JSON.readValue(file.toFile(), Stored.class).encryptedKeyset() != null;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read as an identity: " + e.getMessage(), e);
        }
    }

    private IdentityFile() {}

    /** Writes a new identity to {@code file} (mode 0600); refuses to replace one. */
    public static SigningIdentity create(Path file, Role role, String environment) throws IOException {
        SigningIdentity id = SigningIdentity.generate(role, environment);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Stored(FORMAT_VERSION, role.name(),
                environment, id.keyId(), System.currentTimeMillis(), id.publicKeyset(), id.privateKeysetJson()));
        write(file, bytes);
        return id;
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(file + " already exists: an identity is never replaced (rotate it instead)");
        }
        Files.write(file, bytes);
    }

    /**
     * Reads the identity in {@code file}.
     *
     * @throws IllegalArgumentException naming the file if it is missing, readable by others or not an identity
     */
    public static SigningIdentity load(Path file) {
        return load(file, null, null);
    }

    /**
     * Reads the identity in {@code file}, unwrapping its keyset through {@code kms} if it is encrypted under one.
     *
     * @throws IllegalArgumentException naming the file if it is missing, readable by others, not an identity, or
     *     encrypted under a KMS and {@code kms} is null
     */
    public static SigningIdentity load(Path file, Kms kms, Duration timeout) {
        try {
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(file + " does not exist (strongroom identity init makes one)");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> !OWNER_ONLY.contains(p))) {
                throw new IllegalArgumentException(file + " may be read by others (" + PosixFilePermissions.toString(perms)
                        + "): whoever reads it can sign as its service; chmod 600 " + file);
            }
            Stored s = JSON.readValue(file.toFile(), Stored.class);
            if (s.formatVersion() != FORMAT_VERSION || (s.keyset() == null && s.encryptedKeyset() == null) || s.role() == null
                    || s.environment() == null) {
                throw new IllegalArgumentException(file + " is not a Strongroom identity of format " + FORMAT_VERSION);
            }
            Role role = Role.parse(s.role());
            SigningIdentity id;
            if (s.keyset() != null) {
                id = SigningIdentity.parse(role, s.environment(), s.keyset());
            } else if (kms == null) {
                throw new IllegalArgumentException(file + " is encrypted under the KMS: this process has none to unwrap it");
            } else {
                id = unwrap(file, s, role, kms, timeout);
            }
            if (!id.keyId().equals(s.keyId())) {
                throw new IllegalArgumentException(file + ": its key id " + s.keyId() + " is not its key's (" + id.keyId() + ")");
            }
            return id;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read as an identity: " + e.getMessage(), e);
        }
    }

    private static SigningIdentity unwrap(Path file, Stored s, Role role, Kms kms,
            Duration timeout) {
        WrappedKey w = s.wrappedDek();
        if (w == null) {
            throw new IllegalArgumentException(file + " has an encrypted keyset but no wrapped data key");
        }
        try {
            Aead aead = Kmses.await(kms.unwrapDek(
                    new WrappedDek(w.keyId(), w.keyVersion(), w.algorithm(),
                            Base64.getDecoder().decode(w.bytes())), context(s.environment(), role)), timeout);
            return SigningIdentity.of(role, s.environment(), TinkProtoKeysetFormat.parseEncryptedKeyset(
                    Base64.getDecoder().decode(s.encryptedKeyset()), aead, associatedData(s.environment(), role)));
        } catch (GeneralSecurityException | DataKeyRejectedException e) {
            throw new IllegalArgumentException(file + ": the identity does not decrypt under the KMS (another environment "
                    + "or role, or altered): " + e.getMessage(), e);
        }
    }
}
