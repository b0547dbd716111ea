package io.strongroom.crypto.kms.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.RegistryIntegrityException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions of each tenant's KEK and their states, one JSON file per tenant
 * ({@code <dir>/<tenant>.kek.json}, mode 0600). Changes take an exclusive file lock and replace
 * the file atomically, so several processes can share a directory.
 *
 * <p>Each file is authenticated: its {@code mac} is an HMAC-SHA256, under a key only the KMS's key holders
 * have (see {@link Authenticator}), of the entry as this class reads it, bound to the tenant the file is named
 * after. A file whose MAC does not verify, or that has none (written before registries were authenticated), is
 * refused with a {@link RegistryIntegrityException} naming it; {@link #seal} authenticates an old file once.
 */
public final class KeyRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The entry's bytes under the MAC: compact, fields in declaration order, so writing and reading agree. */
    private static final ObjectMapper CANONICAL = new ObjectMapper();
    private static final String MAC_FIELD = "mac";
    private static final String MAC_PREFIX = "HmacSHA256:";

    /** Computes the registry MAC (HMAC-SHA256) under the KMS's registry key. */
    @FunctionalInterface
    public interface Authenticator {
        byte[] mac(byte[] data) throws GeneralSecurityException;
    }

    /**
     * The dual-control approval recorded with a version scheduled for destruction.
     *
     * @param requestId the request
     * @param approvals who approved it and when
     */
    public record Approval(String requestId, List<Approver> approvals) {
        public Approval {
            approvals = approvals == null ? List.of() : List.copyOf(approvals);
        }
    }

    /**
     * One approver.
     *
     * @param principal who
     * @param atMs when
     */
    public record Approver(String principal, Long atMs) {}

    /**
     * One version as stored.
     *
     * @param version the version number as text
     * @param state its state
     * @param createdAtMs creation time
     * @param changedAtMs last state change
     * @param destroyAtMs destruction time (scheduled or done), or null
     * @param material backend-specific material (e.g. an encrypted keyset), or null
     * @param approval the approved dual-control request that scheduled its destruction, or null
     */
    public record Version(String version, KeyState state, long createdAtMs, long changedAtMs, Long destroyAtMs,
            String material, Approval approval) {
        public Version(String version, KeyState state, long createdAtMs, long changedAtMs, Long destroyAtMs, String material) {
            this(version, state, createdAtMs, changedAtMs, destroyAtMs, material, null);
        }

        /** This version in another state; any recorded approval is dropped. */
        public Version with(KeyState newState, long now, Long destroyAt, String newMaterial) {
            return new Version(version, newState, createdAtMs, now, destroyAt, newMaterial, null);
        }

        public Version withApproval(Approval a) {
            return new Version(version, state, createdAtMs, changedAtMs, destroyAtMs, material, a);
        }
    }

    /**
     * A tenant's KEK as stored.
     *
     * @param keyId its id
     * @param tenant its tenant
     * @param versions its versions, oldest first
     */
    public record Entry(String keyId, String tenant, List<Version> versions) {
        public Entry {
            versions = List.copyOf(versions);
        }

        public Version version(String v) {
            return versions.stream().filter(x -> x.version().equals(v)).findFirst().orElse(null);
        }

        public Version primary() {
            return versions.stream().filter(x -> x.state() == KeyState.PRIMARY).findFirst()
                    .orElseThrow(() -> new KmsException("key " + keyId + " has no primary version"));
        }

        public Entry replace(Version changed) {
            List<Version> list = new ArrayList<>();
            for (Version v : versions) {
                list.add(v.version().equals(changed.version()) ? changed : v);
            }
            if (list.stream().noneMatch(v -> v.version().equals(changed.version()))) {
                list.add(changed);
            }
            return new Entry(keyId, tenant, list);
        }
    }

    private final Path dir;
    private final Authenticator authenticator;
    /** Entries as last parsed and authenticated, so the hot path (one read per data key) does not parse JSON each time. */
    private final Map<String, Parsed> parsed = new ConcurrentHashMap<>();

    public KeyRegistry(Path dir, Authenticator authenticator) {
        this.dir = dir;
        this.authenticator = authenticator;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new KmsException("cannot create KMS directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tenant's entry, or null.
     *
     * @throws RegistryIntegrityException if the file does not authenticate
     */
    public Entry read(String tenant) {
        Path file = file(tenant);
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            Parsed cached = parsed.get(tenant);
            if (cached != null && cached.sameFile(attributes)) {
                return cached.entry();
            }
            Stored stored = load(tenant, file);
            if (stored.mac() == null) {
                throw new RegistryIntegrityException(tenant, file, "key registry " + file + " is not authenticated (no "
                        + MAC_FIELD + "; written before registries were authenticated?): refused. If it is the file the KMS "
                        + "wrote, seal it once with `strongroom keys seal-registry`");
            }
            if (!MessageDigest.isEqual(stored.mac(), mac(tenant, stored.entry()))) {
                throw new RegistryIntegrityException(tenant, file, "key registry " + file + " does not authenticate (its "
                        + MAC_FIELD + " does not match its content: edited, or copied from another tenant or KMS): refused");
            }
            parsed.put(tenant, new Parsed(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), stored.entry()));
            return stored.entry();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KmsException("cannot read key registry " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Authenticates a registry file written before registries were authenticated, once, under the lock: the
     * entry is kept as it is and its MAC added. Call it only for files known to be the KMS's own.
     *
     * @return true if the file was sealed now, false if it was already (and authenticates)
     * @throws RegistryIntegrityException if it carries a MAC that does not verify
     */
    public boolean seal(String tenant) {
        Path file = file(tenant);
        Path lock = dir.resolve(tenant + ".lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            if (load(tenant, file).mac() != null) {
                read(tenant); // throws unless it authenticates
                return false;
            }
            write(tenant, load(tenant, file).entry());
            LOG.atWarn().addKeyValue("tenant", tenant).addKeyValue("file", file)
                    .log("sealed unauthenticated key registry {}: from now on an edit is refused", file);
            return true;
        } catch (IOException e) {
            throw new KmsException("cannot seal key registry " + file + ": " + e.getMessage(), e);
        }
    }

    /** The tenants with a registry file in this directory. */
    public List<String> tenants() {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX) && !n.startsWith("."))
                    .map(n -> n.substring(0, n.length() - SUFFIX.length())).sorted().toList();
        } catch (IOException e) {
            throw new KmsException("cannot list key registry " + dir + ": " + e.getMessage(), e);
        }
    }

    private record Stored(Entry entry, byte[] mac) {}

    private Stored load(String tenant, Path file) throws IOException {
        JsonNode tree = JSON.readTree(file.toFile());
        if (!(tree instanceof ObjectNode node)) {
            throw new RegistryIntegrityException(tenant, file, "key registry " + file + " is not a JSON object: refused");
        }
        JsonNode mac = node.remove(MAC_FIELD);
        Entry entry;
        try {
            entry = JSON.treeToValue(node, Entry.class);
        } catch (JsonProcessingException e) {
            throw new RegistryIntegrityException(tenant, file, "key registry " + file + " is not a registry entry ("
                    + e.getOriginalMessage() + "): refused");
        }
        if (!tenant.equals(entry.tenant())) {
            throw new RegistryIntegrityException(tenant, file, "key registry " + file + " names tenant '" + entry.tenant()
                    + "', not '" + tenant + "': refused");
        }
        if (mac == null) {
            return new Stored(entry, null);
        }
        if (!mac.isTextual() || !mac.asText().startsWith(MAC_PREFIX)) {
            throw new RegistryIntegrityException(tenant, file, "key registry " + file + " has a " + MAC_FIELD
                    + " that is not " + MAC_PREFIX + "<base64>: refused");
        }
        try {
            return new Stored(entry, Base64.getDecoder().decode(mac.asText().substring(MAC_PREFIX.length())));
        } catch (IllegalArgumentException e) {
            throw new RegistryIntegrityException(tenant, file, "key registry " + file + " has a " + MAC_FIELD
                    + " that is not base64: refused");
        }
    }

    private byte[] mac(String tenant, Entry entry) throws IOException {
        byte[] prefix = ("strongroom-kek-registry|v1|" + tenant + "|").getBytes(StandardCharsets.UTF_8);
        byte[] body = CANONICAL.writeValueAsBytes(entry);
        byte[] data = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, data, 0, prefix.length);
        System.arraycopy(body, 0, data, prefix.length, body.length);
        try {
            return authenticator.mac(data);
        } catch (GeneralSecurityException e) {
            throw new KmsException("cannot compute the key registry MAC: " + e.getClass().getSimpleName() + ": "
                    + e.getMessage(), e);
        }
    }

    private void write(String tenant, Entry entry) throws IOException {
        ObjectNode node = JSON.valueToTree(entry);
        node.put(MAC_FIELD, MAC_PREFIX + Base64.getEncoder().encodeToString(mac(tenant, entry)));
        Path tmp = Files.createTempFile(dir, "." + tenant, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        JSON.writeValue(tmp.toFile(), node);
        Files.move(tmp, file(tenant), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A parsed file and what identified it; every update replaces the file, so its identity changes. */
    private record Parsed(Object fileKey, FileTime modified, long size, Entry entry) {
        boolean sameFile(BasicFileAttributes a) {
            return Objects.equals(fileKey, a.fileKey()) && modified.equals(a.lastModifiedTime()) && size == a.size();
        }
    }

    /**
     * Applies {@code change} to the tenant's entry (null if absent) under an exclusive lock and
     * stores the result; returns it.
     */
    public Entry update(String tenant, UnaryOperator<Entry> change) {
        return locked(tenant, entry -> {
            Entry updated = change.apply(entry);
            try {
                write(tenant, updated);
            } catch (IOException e) {
                throw new KmsException("cannot update key registry for tenant " + tenant + ": " + e.getMessage(), e);
            }
            return updated;
        });
    }

    /**
     * Runs {@code work} on the tenant's entry (null if absent) under the exclusive lock
     * {@link #update} takes, so that no version of the tenant is created or changed meanwhile;
     * stores nothing.
     */
    public <T> T locked(String tenant, Function<Entry, T> work) {
        Path lock = dir.resolve(tenant + ".lock");
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            return work.apply(read(tenant));
        } catch (IOException e) {
            throw new KmsException("cannot lock key registry for tenant " + tenant + ": " + e.getMessage(), e);
        }
    }

    private static final String SUFFIX = ".kek.json";

    /** The registry file of {@code tenant}. */
    public Path file(String tenant) {
        return dir.resolve(tenant + SUFFIX);
    }
}
