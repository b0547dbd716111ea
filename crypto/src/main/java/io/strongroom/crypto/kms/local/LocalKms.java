package io.strongroom.crypto.kms.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import com.google.crypto.tink.subtle.Hkdf;
import com.google.crypto.tink.util.SecretBytes;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.internal.VersionedKms;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code local://<tenant>} backend, for development and the demo.
 *
 * <p>Each KEK version is a Tink AES-256-GCM keyset, stored in the key registry encrypted under a
 * master key derived from a passphrase (PBKDF2-HMAC-SHA256, salt and iteration count in
 * {@code <directory>/master.json}, together with a check value so a wrong passphrase is refused
 * clearly). The files are mode 0600. It refuses to run for a production environment unless forced:
 * keys on a disk are not keys in an HSM.
 *
 * <p>The key registry is authenticated with HMAC-SHA256 under a second key derived from the same
 * PBKDF2 output with HKDF-SHA256 (info {@value #REGISTRY_MAC_INFO}), so only a passphrase holder can
 * write a registry file this KMS accepts.
 */
public final class LocalKms extends VersionedKms {
    /** Iterations of newly created directories (OWASP 2023 guidance for PBKDF2-HMAC-SHA256). */
    public static final int DEFAULT_ITERATIONS = 600_000;
    private static final byte[] CHECK = "strongroom-local-kms-check".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** HKDF info of the registry MAC key: distinct from every other use of the passphrase-derived key. */
    static final String REGISTRY_MAC_INFO = "strongroom-local-kms|registry-mac|v1";

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Aead master;
    private final SecretKeySpec registryKey;

    /** What the passphrase yields: the master key and the registry MAC key. */
    private record Derived(Aead master, SecretKeySpec registryKey) {}

    /**
     * How to open a local KMS.
     *
     * @param directory where the master file and key registry live
     * @param passphrase the passphrase the master key derives from (not kept)
     * @param autoCreate create a tenant's KEK on first use instead of failing closed
     * @param environment the deployment environment
     * @param allowInProduction run even when {@code environment} is a production one
     * @param iterations PBKDF2 iterations when the directory is created (later opens read the file)
     */
    public record Options(Path directory, char[] passphrase, boolean autoCreate, String environment,
            boolean allowInProduction, int iterations) {
        public Options {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(passphrase, "passphrase");
            Objects.requireNonNull(environment, "environment");
            if (passphrase.length < 8) {
                throw new IllegalArgumentException("the local KMS passphrase must have at least 8 characters");
            }
            if (iterations < 1000) {
                throw new IllegalArgumentException("PBKDF2 iterations must be at least 1000, got " + iterations);
            }
        }

        /** Development defaults: no auto-create, not in production, {@value #DEFAULT_ITERATIONS} iterations. */
        public static Options of(Path directory, String passphrase, String environment) {
            return new Options(directory, passphrase.toCharArray(), false, environment, false, DEFAULT_ITERATIONS);
        }

        public Options withAutoCreate(boolean create) {
            return new Options(directory, passphrase, create, environment, allowInProduction, iterations);
        }

        public Options withIterations(int n) {
            return new Options(directory, passphrase, autoCreate, environment, allowInProduction, n);
        }
    }

    private LocalKms(Options options, Derived keys) {
        super("local", options.directory(), options.autoCreate(), Clock.systemUTC());
        this.master = keys.master();
        this.registryKey = keys.registryKey();
    }

    /**
     * Opens (creating if needed) a local KMS directory.
     *
     * @throws KmsException if the environment is a production one and not forced, or the passphrase is wrong
     */
    public static LocalKms open(Options options) {
        if (isProduction(options.environment()) && !options.allowInProduction()) {
            throw new KmsException("the local KMS is for development and refuses environment '" + options.environment()
                    + "' (use an HSM or cloud KMS, or set kms.local.allow-in-prod: true to force)");
        }
        try {
            Files.createDirectories(options.directory());
            return new LocalKms(options, master(options));
        } catch (IOException e) {
            throw new KmsException("cannot open local KMS directory " + options.directory() + ": " + e.getMessage(), e);
        }
    }

    /** A token of an environment name (split on {@code - _ .} and spaces) that marks it as production. */
    private static final Pattern PRODUCTION_TOKEN = Pattern.compile("(prod|production|prd)[0-9]*");

    /**
     * Whether {@code environment} names a production environment: any of its tokens, split on {@code -}, {@code _},
     * {@code .} and whitespace and compared without case, is {@code prod}, {@code production} or {@code prd}, optionally
     * followed by digits ({@code prod}, {@code prod1}, {@code production-eu}, {@code eu-prod-2}, {@code us-prd3}). Words
     * that merely contain the letters ({@code preprod}, {@code nonprod}, {@code product-demo}) are not production.
     */
    static boolean isProduction(String environment) {
        for (String token : environment.toLowerCase(Locale.ROOT).split("[-_.\\s]+")) {
            if (PRODUCTION_TOKEN.matcher(token).matches()) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected String createMaterial(String tenant, String version) throws GeneralSecurityException {
        KeysetHandle kek = KeysetHandle.generateNew(AesGcmParameters.builder().setKeySizeBytes(32).setIvSizeBytes(12)
                .setTagSizeBytes(16).setVariant(AesGcmParameters.Variant.NO_PREFIX).build());
        return Base64.getEncoder().encodeToString(
                TinkProtoKeysetFormat.serializeEncryptedKeyset(kek, master, materialContext(tenant, version)));
    }

    @Override
    protected Aead material(String tenant, String version, String stored) throws GeneralSecurityException {
        if (stored == null) {
            throw new GeneralSecurityException("no material stored");
        }
        return TinkProtoKeysetFormat.parseEncryptedKeyset(Base64.getDecoder().decode(stored), master,
                materialContext(tenant, version)).getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    @Override
    protected void destroyMaterial(String tenant, String version) {
        // the registry drops the encrypted keyset when the version becomes DESTROYED
    }

    @Override
    protected byte[] registryMac(byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(registryKey);
        return mac.doFinal(data);
    }

    private static byte[] materialContext(String tenant, String version) {
        return ("strongroom-local-kek|" + tenant + "|" + version).getBytes(StandardCharsets.UTF_8);
    }

    private record MasterFile(String kdf, int iterations, String salt, String check) {}

    private static Derived master(Options options) throws IOException {
        Path file = options.directory().resolve("master.json");
        try {
            if (!Files.exists(file)) {
                byte[] salt = new byte[16];
                new SecureRandom().nextBytes(salt);
                Aead aead = derive(options.passphrase(), salt, options.iterations()).master();
                MasterFile created = new MasterFile("PBKDF2WithHmacSHA256", options.iterations(),
                        Base64.getEncoder().encodeToString(salt), Base64.getEncoder().encodeToString(aead.encrypt(CHECK, salt)));
                Path tmp = Files.createTempFile(options.directory(), ".master", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                JSON.writeValue(tmp.toFile(), created);
                try {
                    Files.createLink(file, tmp); // fails if another process created it first
                } catch (FileAlreadyExistsException raced) {
                    // use theirs, below
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            MasterFile m = JSON.readValue(file.toFile(), MasterFile.class);
            byte[] salt = Base64.getDecoder().decode(m.salt());
            Derived keys = derive(options.passphrase(), salt, m.iterations());
            try {
                keys.master().decrypt(Base64.getDecoder().decode(m.check()), salt);
            } catch (GeneralSecurityException wrong) {
                throw new KmsException("wrong passphrase for local KMS directory " + options.directory());
            }
            return keys;
        } catch (GeneralSecurityException e) {
            throw new KmsException("cannot derive the local KMS master key: " + e.getMessage(), e);
        }
    }

    private static Derived derive(char[] passphrase, byte[] salt, int iterations) throws GeneralSecurityException {
        PBEKeySpec spec = new PBEKeySpec(passphrase, salt, iterations, 256);
        byte[] bytes = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        spec.clearPassword();
        byte[] macKey = Hkdf.computeHkdf("HMACSHA256", bytes, salt, REGISTRY_MAC_INFO.getBytes(StandardCharsets.US_ASCII), 32);
        try {
            AesGcmKey key = AesGcmKey.builder()
                    .setParameters(AesGcmParameters.builder().setKeySizeBytes(32).setIvSizeBytes(12).setTagSizeBytes(16)
                            .setVariant(AesGcmParameters.Variant.NO_PREFIX).build())
                    .setKeyBytes(SecretBytes.copyFrom(bytes, InsecureSecretKeyAccess.get()))
                    .build();
            return new Derived(KeysetHandle.newBuilder().addEntry(KeysetHandle.importKey(key).withRandomId().makePrimary())
                    .build().getPrimitive(RegistryConfiguration.get(), Aead.class), new SecretKeySpec(macKey, "HmacSHA256"));
        } finally {
            Arrays.fill(bytes, (byte) 0);
            Arrays.fill(macKey, (byte) 0); // SecretKeySpec keeps its own copy
        }
    }
}
