package io.strongroom.crypto.kms.local;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code local://<tenant>} backend: one Tink AES-256-GCM keyset per tenant, in
 * {@code <directory>/<tenant>.json} (mode 0600). A KEK version is the Tink key id of a key in the
 * tenant's keyset; wrapped DEKs carry it in their Tink output prefix.
 *
 * <p><b>For development and the demo only:</b> the keyset files are not protected by an HSM.
 * Several processes may share the directory; a KEK created by one is read by the others.
 */
public final class LocalKms implements Kms {
    private static final Logger LOG = LoggerFactory.getLogger(LocalKms.class);
    private static final String SCHEME = "local://";
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private final Path directory;
    private final boolean autoCreate;
    private final Map<String, KeysetHandle> keks = new ConcurrentHashMap<>();

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private LocalKms(Path directory, boolean autoCreate) {
        this.directory = directory;
        this.autoCreate = autoCreate;
    }

    /**
     * Opens (creating if needed) a local KMS directory.
     *
     * @param directory where the keyset files live
     * @param autoCreate whether a tenant's KEK is created on first use instead of failing with
     *     {@link UnknownKeyException}
     */
    public static LocalKms open(Path directory, boolean autoCreate) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new KmsException("cannot create local KMS directory " + directory + ": " + e.getMessage(), e);
        }
        return new LocalKms(directory, autoCreate);
    }

    @Override
    public String keyIdFor(String tenant) {
        return SCHEME + tenant;
    }

    @Override
    public CompletionStage<String> createKek(String tenant) {
        return call(() -> {
            kek(keyIdFor(tenant), true);
            return keyIdFor(tenant);
        });
    }

    @Override
    public CompletionStage<DataKey> generateDek(String keyId, byte[] context) {
        return call(() -> {
            KeysetHandle kek = kek(keyId, autoCreate);
            try {
                KeysetHandle dek = DataKeys.generate();
                byte[] wrapped = DataKeys.wrap(dek, aead(kek), context);
                String version = Integer.toUnsignedString(kek.getPrimary().getId());
                return new DataKey(DataKeys.aead(dek), new WrappedDek(keyId, version, DataKeys.ALGORITHM, wrapped));
            } catch (GeneralSecurityException e) {
                throw new KmsException("cannot generate a data key under " + keyId + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public CompletionStage<Aead> unwrapDek(WrappedDek wrapped, byte[] context) {
        return call(() -> {
            KeysetHandle kek = kek(wrapped.keyId(), false);
            boolean known = false;
            for (int i = 0; i < kek.size(); i++) {
                known |= Integer.toUnsignedString(kek.getAt(i).getId()).equals(wrapped.keyVersion());
            }
            if (!known) {
                throw new UnknownKeyException("KEK " + wrapped.keyId() + " has no version " + wrapped.keyVersion());
            }
            try {
                return DataKeys.unwrap(wrapped.bytes(), aead(kek), context);
            } catch (GeneralSecurityException e) {
                throw new KmsException("cannot unwrap data key under " + wrapped.keyId() + " v" + wrapped.keyVersion()
                        + ": wrapped key or its context does not authenticate");
            }
        });
    }

    @Override
    public CompletionStage<List<KeyVersion>> describe(String keyId) {
        return call(() -> {
            KeysetHandle kek = kek(keyId, false);
            List<KeyVersion> versions = new java.util.ArrayList<>();
            for (int i = 0; i < kek.size(); i++) {
                KeysetHandle.Entry entry = kek.getAt(i);
                versions.add(new KeyVersion(keyId, Integer.toUnsignedString(entry.getId()), entry.isPrimary(),
                        entry.getStatus() == com.google.crypto.tink.KeyStatus.ENABLED));
            }
            return versions;
        });
    }

    private static <T> CompletionStage<T> call(Supplier<T> body) {
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Aead aead(KeysetHandle kek) throws GeneralSecurityException {
        return kek.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    private KeysetHandle kek(String keyId, boolean create) {
        if (!keyId.startsWith(SCHEME)) {
            throw new UnknownKeyException("not a local KMS key id: " + keyId + " (expected " + SCHEME + "<tenant>)");
        }
        String tenant = keyId.substring(SCHEME.length());
        if (!TENANT.matcher(tenant).matches()) {
            throw new UnknownKeyException("invalid tenant in key id " + keyId + " (allowed: " + TENANT.pattern() + ")");
        }
        KeysetHandle cached = keks.get(tenant);
        if (cached != null) {
            return cached;
        }
        synchronized (keks) {
            Path file = directory.resolve(tenant + ".json");
            try {
                if (!Files.exists(file)) {
                    if (!create) {
                        throw new UnknownKeyException("no key-encryption key for tenant '" + tenant + "' (" + keyId
                                + ") in local KMS directory " + directory);
                    }
                    writeNew(file);
                }
                KeysetHandle kek = TinkJsonProtoKeysetFormat.parseKeyset(
                        Files.readString(file, StandardCharsets.UTF_8), InsecureSecretKeyAccess.get());
                keks.put(tenant, kek);
                return kek;
            } catch (IOException | GeneralSecurityException e) {
                throw new KmsException("cannot read local KEK " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private void writeNew(Path file) throws IOException, GeneralSecurityException {
        KeysetHandle kek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
        Path tmp = Files.createTempFile(directory, ".kek-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, TinkJsonProtoKeysetFormat.serializeKeyset(kek, InsecureSecretKeyAccess.get()));
        try {
            // a hard link fails if the file exists (a rename would silently replace another process's KEK)
            Files.createLink(file, tmp);
            LOG.atInfo().addKeyValue("keyId", SCHEME + file.getFileName().toString().replace(".json", ""))
                    .log("created local key-encryption key");
        } catch (FileAlreadyExistsException raced) {
            LOG.debug("another process created {} first; using it", file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
