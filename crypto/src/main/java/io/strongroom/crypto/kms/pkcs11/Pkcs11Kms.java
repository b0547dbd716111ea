package io.strongroom.crypto.kms.pkcs11;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.internal.VersionedKms;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.security.auth.login.FailedLoginException;

/**
 * KEKs on a PKCS#11 token. Each version is an AES-256 secret key generated on the token with
 * {@code CKA_TOKEN, CKA_SENSITIVE = true, CKA_EXTRACTABLE = false} and labelled
 * {@code strongroom:<tenant>:v<version>}; DEKs are wrapped with AES-GCM on the token (the
 * {@code Aead} is {@link Pkcs11Aead}). Versions and their states are kept in the key registry
 * directory; the key material never leaves the token.
 *
 * <p>The key registry is authenticated with HMAC-SHA256 on the token, under a generic-secret key labelled
 * {@value #REGISTRY_MAC_LABEL} ({@code CKA_SIGN/VERIFY}, sensitive, non-extractable), made on first open. Only a
 * PIN holder can write a registry file this KMS accepts.
 *
 * <p>PKCS#11 login state belongs to the process: a wrong PIN is detected by the first
 * {@link #open} in a JVM; once a session is logged in, further opens share it.
 */
public final class Pkcs11Kms extends VersionedKms {
    /** Label of the token key that authenticates the key registry. */
    public static final String REGISTRY_MAC_LABEL = "strongroom:registry-mac";
    /** Generated as a session object, then stored once under its label (a token object made here would be copied). */
    private static final String REGISTRY_MAC_ATTRIBUTES = String.join("\n", "",
            "attributes(generate, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {",
            "  CKA_TOKEN = false", "  CKA_SENSITIVE = true", "  CKA_EXTRACTABLE = false",
            "  CKA_SIGN = true", "  CKA_VERIFY = true", "  CKA_ENCRYPT = false", "  CKA_DECRYPT = false",
            "  CKA_WRAP = false", "  CKA_UNWRAP = false", "}");
    private final Provider provider;
    private final KeyStore keyStore;
    private final SecretKey registryKey;

    /**
     * How to reach the token.
     *
     * @param library path of the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
     * @param slotListIndex index of the token's slot
     * @param pin the user PIN (not kept)
     * @param registryDirectory where versions and states are recorded
     * @param autoCreate create a tenant's KEK on first use instead of failing closed
     */
    public record Options(String library, int slotListIndex, char[] pin, Path registryDirectory, boolean autoCreate) {
        public Options {
            Objects.requireNonNull(library, "library");
            Objects.requireNonNull(pin, "pin");
            Objects.requireNonNull(registryDirectory, "registryDirectory");
            if (slotListIndex < 0) {
                throw new IllegalArgumentException("kms.pkcs11.slot-list-index must be >= 0, got " + slotListIndex);
            }
        }
    }

    private Pkcs11Kms(Options options, Provider provider, KeyStore keyStore) {
        super("pkcs11", options.registryDirectory(), options.autoCreate(), Clock.systemUTC());
        this.provider = provider;
        this.keyStore = keyStore;
        this.registryKey = registryKey(options.registryDirectory(), provider, keyStore);
    }

    /**
     * Logs in to the token.
     *
     * @throws KmsException naming the library and slot if the module cannot be loaded or the PIN is wrong
     */
    public static Pkcs11Kms open(Options options) {
        if (!Files.isReadable(Path.of(options.library()))) {
            throw new KmsException("PKCS#11 module not found: " + options.library());
        }
        String config = String.join("\n",
                "name = Strongroom",
                "library = " + options.library(),
                "slotListIndex = " + options.slotListIndex(),
                "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {",
                "  CKA_TOKEN = true",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "  CKA_ENCRYPT = true",
                "  CKA_DECRYPT = true",
                "}") + REGISTRY_MAC_ATTRIBUTES;
        Provider provider;
        try {
            provider = Security.getProvider("SunPKCS11").configure("--" + config);
        } catch (ProviderException | IllegalArgumentException e) {
            throw new KmsException("cannot load PKCS#11 module " + options.library() + " slot index "
                    + options.slotListIndex() + ": " + rootMessage(e), e);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            char[] pin = options.pin().clone();
            try {
                ks.load(null, pin);
            } finally {
                Arrays.fill(pin, '\0');
            }
            return new Pkcs11Kms(options, provider, ks);
        } catch (IOException e) {
            if (hasCause(e, FailedLoginException.class) || String.valueOf(rootMessage(e)).contains("CKR_PIN_INCORRECT")) {
                throw new KmsException("PKCS#11 login to " + options.library() + " slot index " + options.slotListIndex()
                        + " failed: wrong PIN");
            }
            throw new KmsException("PKCS#11 login to " + options.library() + " failed: " + rootMessage(e), e);
        } catch (GeneralSecurityException e) {
            throw new KmsException("PKCS#11 key store unavailable: " + rootMessage(e), e);
        }
    }

    /**
     * The token's handle of a version's key — never its bytes, which the token refuses to export.
     * For checks such as "is it extractable?".
     */
    public SecretKey tokenKey(String tenant, String version) throws GeneralSecurityException {
        Key key = keyStore.getKey(alias(tenant, version), null);
        if (!(key instanceof SecretKey secret)) {
            throw new UnknownKeyException("no key " + alias(tenant, version) + " on the token");
        }
        return secret;
    }

    @Override
    protected String createMaterial(String tenant, String version) throws GeneralSecurityException {
        KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
        generator.init(256);
        SecretKey key = generator.generateKey();
        keyStore.setKeyEntry(alias(tenant, version), key, null, null);
        return null; // the material is on the token
    }

    @Override
    protected Aead material(String tenant, String version, String stored) throws GeneralSecurityException {
        return new Pkcs11Aead(tokenKey(tenant, version), provider);
    }

    @Override
    protected void destroyMaterial(String tenant, String version) throws GeneralSecurityException {
        keyStore.deleteEntry(alias(tenant, version));
    }

    @Override
    protected byte[] registryMac(byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256", provider);
        mac.init(registryKey);
        return mac.doFinal(data);
    }

    /** The token's registry MAC key (a handle; its bytes never leave the token). */
    public SecretKey registryMacKey() {
        return registryKey;
    }

    /** The registry MAC key on the token, made once (under a lock in the registry directory, so two processes make one). */
    private static SecretKey registryKey(Path dir, Provider provider, KeyStore keyStore) {
        try {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(dir.resolve("registry-mac.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
                if (!keyStore.containsAlias(REGISTRY_MAC_LABEL)) {
                    KeyGenerator generator = KeyGenerator.getInstance("HmacSHA256", provider);
                    generator.init(256);
                    keyStore.setKeyEntry(REGISTRY_MAC_LABEL, generator.generateKey(), null, null);
                }
                if (keyStore.getKey(REGISTRY_MAC_LABEL, null) instanceof SecretKey key) {
                    return key;
                }
                throw new KmsException("token entry " + REGISTRY_MAC_LABEL + " is not a secret key");
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new KmsException("cannot get the registry MAC key " + REGISTRY_MAC_LABEL + " on the token: " + rootMessage(e), e);
        }
    }

    private static String alias(String tenant, String version) {
        return "strongroom:" + tenant + ":v" + version;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
