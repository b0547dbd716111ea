package io.strongroom.crypto.kms.pkcs11;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.KeyState;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.security.auth.login.FailedLoginException;

/**
 * KEKs on a PKCS#11 token. Each version is an AES-256 secret key generated on the token with
 * {@code CKA_SENSITIVE = true, CKA_EXTRACTABLE = false} and stored as exactly one token object
 * labelled {@code strongroom:<tenant>:v<version>}; DEKs are wrapped with AES-GCM on the token (the
 * {@code Aead} is {@link Pkcs11Aead}). Versions and their states are kept in the key registry
 * directory; the key material never leaves the token.
 *
 * <p>The key registry is authenticated with HMAC-SHA256 on the token, under a generic-secret key labelled
 * {@value #REGISTRY_MAC_LABEL} ({@code CKA_SIGN/VERIFY}, sensitive, non-extractable), made on first open. Only a
 * PIN holder can write a registry file this KMS accepts.
 *
 * <p>SunPKCS11 cannot label a key as it generates it, and {@link KeyStore#setKeyEntry} stores a
 * key under a label by copying it ({@code C_CopyObject}). So the key is generated as a
 * <em>session</em> object ({@code CKA_TOKEN = false}) — never stored on the token, destroyed by the
 * provider once unreferenced and gone with the process at the latest — and the labelled copy is
 * the only token object; destroying a version deletes that object, and nothing of
 * it is left on the token. (Earlier builds generated the key as a token object too, which left an
 * unlabelled copy of every version on the token for good; {@link #orphans()} finds those.)
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

    private static final Pattern LABEL = Pattern.compile("strongroom:([^:]+):v([0-9]+)");

    private final Options options;
    private final Provider provider;
    private final KeyStore keyStore;
    private final SecretKey registryKey;

    /**
     * An AES secret key on the token that no live version names: unlabelled (a copy the old key
     * generation left), or labelled {@code strongroom:<tenant>:v<n>} for a version the registry
     * does not have or has destroyed.
     *
     * @param handle the token's object handle (valid in this process)
     * @param label its label, "" for none
     * @param tenant the tenant its label names, or null
     * @param version the version its label names, or null
     * @param reason why no live version names it
     */
    public record Orphan(long handle, String label, String tenant, String version, String reason) {
        @Override
        public String toString() {
            return (label.isEmpty() ? "unlabelled AES key" : "AES key " + label) + " (handle " + handle + "): " + reason;
        }
    }

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
        this.options = options;
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
                // a session object: setKeyEntry makes the one token object, labelled (see the class comment)
                "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {",
                "  CKA_TOKEN = false",
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

    /**
     * The AES secret keys on the token that no live version in the registry names (see
     * {@link Orphan}). Keys with any other label, and secret keys of other types, are not
     * Strongroom's and are never listed. The token must be Strongroom's and this registry's alone:
     * a key another registry (another environment) shares the slot with would be listed too.
     * Needs the JVM option {@value TokenObjects#EXPORT_OPTION}.
     *
     * @throws KmsException if the token cannot be listed (the message says why, e.g. the missing JVM option)
     */
    public List<Orphan> orphans() {
        try (TokenObjects token = TokenObjects.open(options.library(), options.slotListIndex())) {
            List<Orphan> orphans = new ArrayList<>();
            for (TokenObjects.Key key : token.aesSecretKeys()) {
                Orphan orphan = orphan(key);
                if (orphan != null) {
                    orphans.add(orphan);
                }
            }
            return orphans;
        }
    }

    /**
     * Destroys an orphan's token object. A labelled one is checked again while its tenant's
     * registry is locked, so that a version created meanwhile is never destroyed.
     *
     * @throws KmsException if the object is gone, changed, or now names a live version; nothing is destroyed then
     */
    public void destroyOrphan(Orphan orphan) {
        try (TokenObjects token = TokenObjects.open(options.library(), options.slotListIndex())) {
            TokenObjects.Key key = new TokenObjects.Key(orphan.handle(), orphan.label());
            if (orphan.tenant() == null) {
                token.destroy(key);
                return;
            }
            withRegistryState(orphan.tenant(), orphan.version(), state -> {
                if (state != null && state != KeyState.DESTROYED) {
                    throw new KmsException(orphan.label() + " names version " + orphan.version() + " of tenant " + orphan.tenant()
                            + ", now " + state + "; not destroyed");
                }
                token.destroy(key);
                return null;
            });
        }
    }

    private Orphan orphan(TokenObjects.Key key) {
        if (key.label().isEmpty()) {
            return new Orphan(key.handle(), "", null, null, "no label (like the copies the old key generation left)");
        }
        Matcher m = LABEL.matcher(key.label());
        if (!m.matches() || !validTenant(m.group(1))) {
            return null; // not a Strongroom label
        }
        String tenant = m.group(1);
        String version = m.group(2);
        KeyState state = withRegistryState(tenant, version, s -> s);
        if (state == null) {
            return new Orphan(key.handle(), key.label(), tenant, version, "the registry names no version " + version
                    + " of tenant " + tenant);
        }
        return state == KeyState.DESTROYED ? new Orphan(key.handle(), key.label(), tenant, version, "version " + version
                + " of tenant " + tenant + " is destroyed in the registry") : null;
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
