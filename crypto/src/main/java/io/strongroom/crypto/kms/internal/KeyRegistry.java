package io.strongroom.crypto.kms.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KmsException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The versions of each tenant's KEK and their states, one JSON file per tenant
 * ({@code <dir>/<tenant>.kek.json}, mode 0600). Changes take an exclusive file lock and replace
 * the file atomically, so several processes can share a directory.
 */
public final class KeyRegistry {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One version as stored.
     *
     * @param version the version number as text
     * @param state its state
     * @param createdAtMs creation time
     * @param changedAtMs last state change
     * @param destroyAtMs destruction time (scheduled or done), or null
     * @param material backend-specific material (e.g. an encrypted keyset), or null
     */
    public record Version(String version, KeyState state, long createdAtMs, long changedAtMs, Long destroyAtMs,
            String material) {
        public Version with(KeyState newState, long now, Long destroyAt, String newMaterial) {
            return new Version(version, newState, createdAtMs, now, destroyAt, newMaterial);
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
    /** Entries as last parsed, so the hot path (one read per data key) does not parse JSON each time. */
    private final java.util.Map<String, Parsed> parsed = new java.util.concurrent.ConcurrentHashMap<>();

    public KeyRegistry(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new KmsException("cannot create KMS directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The tenant's entry, or null. */
    public Entry read(String tenant) {
        Path file = file(tenant);
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            Parsed cached = parsed.get(tenant);
            if (cached != null && cached.sameFile(attributes)) {
                return cached.entry();
            }
            Entry entry = JSON.readValue(file.toFile(), Entry.class);
            parsed.put(tenant, new Parsed(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), entry));
            return entry;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KmsException("cannot read key registry " + file + ": " + e.getMessage(), e);
        }
    }

    /** A parsed file and what identified it; every update replaces the file, so its identity changes. */
    private record Parsed(Object fileKey, FileTime modified, long size, Entry entry) {
        boolean sameFile(BasicFileAttributes a) {
            return java.util.Objects.equals(fileKey, a.fileKey()) && modified.equals(a.lastModifiedTime()) && size == a.size();
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
                Path tmp = Files.createTempFile(dir, "." + tenant, ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                JSON.writeValue(tmp.toFile(), updated);
                Files.move(tmp, file(tenant), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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

    private Path file(String tenant) {
        return dir.resolve(tenant + ".kek.json");
    }
}
