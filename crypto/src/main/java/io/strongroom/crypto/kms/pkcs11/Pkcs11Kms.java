package io.strongroom.crypto.kms.pkcs11;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.internal.VersionedKms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import javax.crypto.SecretKey;
import javax.security.auth.login.FailedLoginException;

/**
 * KEKs on a PKCS#11 token. Each version is an AES-256 secret key generated on the token with
 * {@code CKA_TOKEN, CKA_SENSITIVE = true, CKA_EXTRACTABLE = false} and labelled
 * {@code strongroom:<tenant>:v<version>}; DEKs are wrapped with AES-GCM on the token (the
 * {@code Aead} is {@link Pkcs11Aead}). Versions and their states are kept in the key registry
 * directory; the key material never leaves the token.
 *
 * <p>PKCS#11 login state belongs to the process: a wrong PIN is detected by the first
 * {@link #open} in a JVM; once a session is logged in, further opens share it.
 */
public final class Pkcs11Kms extends VersionedKms {
    private final Provider provider;
    private final KeyStore keyStore;

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
                "}");
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
