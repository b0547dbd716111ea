package io.strongroom.testkit;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.KmsUnavailableException;
import io.strongroom.crypto.kms.UnknownKeyException;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.crypto.kms.aws.AwsKms;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.model.CreateKeyRequest;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.EncryptRequest;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.LimitExceededException;

/** What the aws-kms backend sends to AWS KMS, and how it maps what comes back. */
class AwsKmsRequestsTest {
    private static final Duration T = Duration.ofSeconds(5);
    private static final DekContext CTX = new DekContext("prod", "acme", "seg-1");
    private final FakeAwsKmsClient client = new FakeAwsKmsClient();
    private final AwsKms kms = new AwsKms(client, "alias/strongroom-");

    @Test
    void keysAreSymmetricTaggedAndAddressedThroughTheVersionAlias() {
        await(kms.createKek("acme"), T);
        await(kms.generateDek("aws-kms://alias/strongroom-acme", CTX), T);

        CreateKeyRequest create = client.requests().stream().filter(CreateKeyRequest.class::isInstance)
                .map(CreateKeyRequest.class::cast).findFirst().orElseThrow();
        assertThat(create.keySpecAsString()).isEqualTo("SYMMETRIC_DEFAULT");
        assertThat(create.keyUsageAsString()).isEqualTo("ENCRYPT_DECRYPT");
        assertThat(create.tags()).anyMatch(t -> t.tagKey().equals("strongroom:tenant") && t.tagValue().equals("acme"));
        EncryptRequest encrypt = client.requests().stream().filter(EncryptRequest.class::isInstance)
                .map(EncryptRequest.class::cast).findFirst().orElseThrow();
        assertThat(encrypt.keyId()).isEqualTo("alias/strongroom-acme/v1");
    }

    @Test
    void theEncryptionContextCarriesEnvironmentTenantAndSegmentBothWays() {
        await(kms.createKek("acme"), T);
        var dek = await(kms.generateDek("aws-kms://alias/strongroom-acme", CTX), T);
        await(kms.unwrapDek(dek.wrapped(), CTX), T);

        String expected = Base64.getEncoder().encodeToString(CTX.bytes());
        EncryptRequest encrypt = client.requests().stream().filter(EncryptRequest.class::isInstance)
                .map(EncryptRequest.class::cast).findFirst().orElseThrow();
        DecryptRequest decrypt = client.requests().stream().filter(DecryptRequest.class::isInstance)
                .map(DecryptRequest.class::cast).findFirst().orElseThrow();
        assertThat(encrypt.encryptionContext()).containsOnly(Map.entry("strongroom-aad", expected),
                Map.entry("environment", "prod"), Map.entry("tenant", "acme"));
        assertThat(decrypt.encryptionContext()).isEqualTo(encrypt.encryptionContext());
        assertThat(decrypt.keyId()).as("decrypt pins the key").isEqualTo("alias/strongroom-acme/v1");
        assertThat(new String(Base64.getDecoder().decode(expected), StandardCharsets.UTF_8))
                .contains("prod").contains("acme").contains("seg-1");
    }

    @Test
    void throttlingInternalErrorsAndNetworkFailuresAreRetryable() {
        await(kms.createKek("acme"), T);
        client.failNext(() -> LimitExceededException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("LimitExceededException").build()).build());
        assertThatThrownBy(() -> await(kms.describe("aws-kms://alias/strongroom-acme"), T)).isInstanceOf(KmsUnavailableException.class);
        client.failNext(() -> KmsInternalException.builder().statusCode(500)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("KMSInternalException").build()).build());
        assertThatThrownBy(() -> await(kms.describe("aws-kms://alias/strongroom-acme"), T)).isInstanceOf(KmsUnavailableException.class);
        client.failNext(() -> SdkClientException.create("connect timed out"));
        assertThatThrownBy(() -> await(kms.describe("aws-kms://alias/strongroom-acme"), T))
                .isInstanceOf(KmsUnavailableException.class).hasMessageContaining("cannot reach AWS KMS");
    }

    @Test
    void accessDeniedIsNotRetryableAndNamesTheKey() {
        await(kms.createKek("acme"), T);
        client.failNext(() -> software.amazon.awssdk.services.kms.model.KmsException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException").build()).build());
        assertThatThrownBy(() -> await(kms.describe("aws-kms://alias/strongroom-acme"), T))
                .isExactlyInstanceOf(KmsException.class)
                .hasMessage("AWS KMS refused the call for aws-kms://alias/strongroom-acme: AccessDeniedException");
    }

    @Test
    void keyIdsOfAnotherDeploymentAreUnknown() {
        assertThatThrownBy(() -> await(kms.generateDek("aws-kms://alias/other-acme", CTX), T))
                .isInstanceOf(UnknownKeyException.class).hasMessageContaining("not an aws-kms key id of this deployment");
        assertThatThrownBy(() -> new AwsKms(client, "strongroom-")).hasMessageContaining("must start with alias/");
    }

    @Test
    void dataKeysWrappedBeforeTheContextNamedEnvironmentAndTenantStillUnwrap() throws Exception {
        await(kms.createKek("acme"), T);
        // as the backend wrapped before: the context holds the bound bytes alone
        Aead legacy = new Aead() {
            @Override
            public byte[] encrypt(byte[] plaintext, byte[] aad) {
                return client.encrypt(b -> b.keyId("alias/strongroom-acme/v1")
                        .plaintext(SdkBytes.fromByteArray(plaintext))
                        .encryptionContext(Map.of("strongroom-aad", Base64.getEncoder().encodeToString(aad))))
                        .ciphertextBlob().asByteArray();
            }

            @Override
            public byte[] decrypt(byte[] ciphertext, byte[] aad) {
                throw new UnsupportedOperationException();
            }
        };
        var dek = DataKeys.generate();
        byte[] wrapped = DataKeys.wrap(dek, legacy, CTX.bytes());
        var old = new WrappedDek("aws-kms://alias/strongroom-acme", "1",
                DataKeys.ALGORITHM, wrapped);

        var aead = await(kms.unwrapDek(old, CTX), T);
        byte[] sealed = DataKeys.aead(dek).encrypt(new byte[] {1, 2, 3}, new byte[0]);
        assertThat(aead.decrypt(sealed, new byte[0])).containsExactly(1, 2, 3);
        // and the fallback does not loosen the binding: another tenant's or segment's context still fails
        assertThatThrownBy(() -> await(kms.unwrapDek(old, new DekContext("prod", "acme", "seg-2")), T))
                .isInstanceOf(KmsException.class);
        assertThatThrownBy(() -> await(kms.unwrapDek(old, new DekContext("staging", "acme", "seg-1")), T))
                .isInstanceOf(KmsException.class);
    }
}
