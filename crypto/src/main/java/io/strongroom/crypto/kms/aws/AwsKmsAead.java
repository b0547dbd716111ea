package io.strongroom.crypto.kms.aws;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;

/**
 * One AWS KMS key as a Tink {@link Aead}. The associated data travels as the KMS encryption
 * context, so AWS binds the ciphertext to it and CloudTrail records it:
 * {@code {"strongroom-aad": base64(associatedData), "environment": E, "tenant": T}}. The
 * associated data (the canonical {@code DekContext} bytes) is what binds; environment and tenant
 * appear again as keys of their own so that IAM conditions ({@code kms:EncryptionContext:tenant},
 * {@code kms:EncryptionContext:environment}) can narrow a grant.
 *
 * <p>Ciphertext written before environment and tenant were added (context
 * {@code {"strongroom-aad": …}} alone) still decrypts: when AWS refuses the full context as not
 * matching, the legacy context is tried once. KMS exceptions pass through unchanged for
 * {@link AwsKms} to map.
 */
final class AwsKmsAead implements Aead {
    static final String CONTEXT_KEY = "strongroom-aad";

    private final KmsClient client;
    private final String keyId;
    private final Map<String, String> labels;

    /**
     * @param labels context entries next to the associated data: environment and tenant (see {@link AwsKms#labels})
     */
    AwsKmsAead(KmsClient client, String keyId, Map<String, String> labels) {
        this.client = client;
        this.keyId = keyId;
        this.labels = Map.copyOf(labels);
    }

    /** The encryption context of data keys wrapped before environment and tenant were keys of their own. */
    static Map<String, String> legacyContext(byte[] associatedData) {
        return Map.of(CONTEXT_KEY, Base64.getEncoder().encodeToString(associatedData));
    }

    Map<String, String> context(byte[] associatedData) {
        Map<String, String> context = new HashMap<>(labels);
        context.putAll(legacyContext(associatedData));
        return context;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return client.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext))
                .encryptionContext(context(associatedData))).ciphertextBlob().asByteArray();
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        try {
            return decrypt(ciphertext, context(associatedData));
        } catch (InvalidCiphertextException e) {
            if (labels.isEmpty()) {
                throw e;
            }
            return decrypt(ciphertext, legacyContext(associatedData)); // wrapped before the context had environment and tenant
        }
    }

    private byte[] decrypt(byte[] ciphertext, Map<String, String> context) {
        return client.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(ciphertext))
                .encryptionContext(context)).plaintext().asByteArray();
    }
}
