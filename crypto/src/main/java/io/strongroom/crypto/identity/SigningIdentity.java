package io.strongroom.crypto.identity;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A service's signing identity: a role, an environment and an Ed25519 key (Tink {@link PublicKeySign}).
 * It decrypts nothing, so a service that must hold no key that decrypts (the archiver) can hold one.
 * Its key id is derived from the public key only: {@code {role}-{first 16 hex digits of SHA-256 of the
 * public keyset (Tink JSON)}}. Thread-safe.
 */
public final class SigningIdentity {
    static {
        try {
            SignatureConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Role role;
    private final String environment;
    private final KeysetHandle privateKeyset;
    private final PublicKeySign signer;
    private final String publicKeyset;
    private final String keyId;

    SigningIdentity(Role role, String environment, KeysetHandle privateKeyset) {
        this.role = Objects.requireNonNull(role);
        this.environment = Objects.requireNonNull(environment);
        this.privateKeyset = privateKeyset;
        try {
            this.signer = privateKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
            this.publicKeyset = TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(privateKeyset.getPublicKeysetHandle());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 signing keyset: " + e.getMessage(), e);
        }
        this.keyId = keyId(role, publicKeyset);
    }

    /** A new identity with a fresh key. */
    public static SigningIdentity generate(Role role, String environment) {
        try {
            return new SigningIdentity(role, environment, KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make an Ed25519 key: " + e.getMessage(), e);
        }
    }

    /** The key id of {@code role}'s public keyset. */
    public static String keyId(Role role, String publicKeyset) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKeyset.getBytes(StandardCharsets.UTF_8));
            return role.name().toLowerCase(Locale.ROOT) + "-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A verifier of a public keyset (Tink JSON). */
    static PublicKeyVerify verifier(String where, String publicKeyset) {
        try {
            return TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(publicKeyset)
                    .getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(where + " is not a public signature keyset (Tink JSON): " + e.getMessage(), e);
        }
    }

    public Role role() {
        return role;
    }

    public String environment() {
        return environment;
    }

    public String keyId() {
        return keyId;
    }

    /** The public keyset (Tink JSON), for a trust file. */
    public String publicKeyset() {
        return publicKeyset;
    }

    /** The signature of {@code message}. */
    public byte[] sign(byte[] message) {
        try {
            return signer.sign(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(keyId + " cannot sign: " + e.getMessage(), e);
        }
    }

    /** The private keyset, serialized (Tink JSON): only for storing it (see {@link IdentityFile}). */
    String privateKeysetJson() {
        try {
            return TinkJsonProtoKeysetFormat.serializeKeyset(privateKeyset, InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The private keyset: only for storing it encrypted (see {@link IdentityFile}). */
    KeysetHandle privateKeyset() {
        return privateKeyset;
    }

    static SigningIdentity of(Role role, String environment, KeysetHandle privateKeyset) {
        return new SigningIdentity(role, environment, privateKeyset);
    }

    static SigningIdentity parse(Role role, String environment, String privateKeysetJson) {
        try {
            return new SigningIdentity(role, environment,
                    TinkJsonProtoKeysetFormat.parseKeyset(privateKeysetJson, InsecureSecretKeyAccess.get()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a signing keyset: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SigningIdentity[" + keyId + ", " + environment + "]"; // never the key
    }
}
