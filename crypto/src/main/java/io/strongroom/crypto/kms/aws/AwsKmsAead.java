package io.strongroom.crypto.kms.aws;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * One AWS KMS key as a Tink {@link Aead}. The associated data travels as the KMS encryption
 * context {@code {"strongroom-aad": base64(associatedData)}}, so AWS binds the ciphertext to it
 * and CloudTrail records it. KMS exceptions pass through unchanged for {@link AwsKms} to map.
 */
final class AwsKmsAead implements Aead {
    static final String CONTEXT_KEY = "strongroom-aad";

    private final KmsClient client;
    private final String keyId;

    AwsKmsAead(KmsClient client, String keyId) {
        this.client = client;
        this.keyId = keyId;
    }

    static Map<String, String> context(byte[] associatedData) {
        return Map.of(CONTEXT_KEY, Base64.getEncoder().encodeToString(associatedData));
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return client.encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext))
                .encryptionContext(context(associatedData))).ciphertextBlob().asByteArray();
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return client.decrypt(b -> b.keyId(keyId).ciphertextBlob(SdkBytes.fromByteArray(ciphertext))
                .encryptionContext(context(associatedData))).plaintext().asByteArray();
    }
}
