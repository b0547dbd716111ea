package io.strongroom.crypto.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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
 */
public final class IdentityFile {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    record Stored(int formatVersion, String role, String environment, String keyId, long createdAtMs, String publicKeyset,
            String keyset) {}

    private IdentityFile() {}

    /** Writes a new identity to {@code file} (mode 0600); refuses to replace one. */
    public static SigningIdentity create(Path file, Role role, String environment) throws IOException {
        SigningIdentity id = SigningIdentity.generate(role, environment);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Stored(FORMAT_VERSION, role.name(),
                environment, id.keyId(), System.currentTimeMillis(), id.publicKeyset(), id.privateKeysetJson()));
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(file + " already exists: an identity is never replaced (rotate it instead)");
        }
        Files.write(file, bytes);
        return id;
    }

    /**
     * Reads the identity in {@code file}.
     *
     * @throws IllegalArgumentException naming the file if it is missing, readable by others or not an identity
     */
    public static SigningIdentity load(Path file) {
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
            if (s.formatVersion() != FORMAT_VERSION || s.keyset() == null || s.role() == null || s.environment() == null) {
                throw new IllegalArgumentException(file + " is not a Strongroom identity of format " + FORMAT_VERSION);
            }
            SigningIdentity id = SigningIdentity.parse(Role.parse(s.role()), s.environment(), s.keyset());
            if (!id.keyId().equals(s.keyId())) {
                throw new IllegalArgumentException(file + ": its key id " + s.keyId() + " is not its key's (" + id.keyId() + ")");
            }
            return id;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read as an identity: " + e.getMessage(), e);
        }
    }
}
