package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.aws.AwsKmsConfig;
import io.strongroom.crypto.kms.aws.AwsKmsProvider;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The KMS contract against the aws-kms backend, its provider found by ServiceLoader ({@code kms.type: aws-kms}),
 * on an in-memory {@code KmsClient}.
 */
class AwsKmsContractTest extends KmsContract {
    private final FakeAwsKmsClient client = new FakeAwsKmsClient();

    @Override
    protected ManagedKms open(boolean autoCreate) {
        AwsKmsConfig config = new AwsKmsConfig(null, "alias/strongroom-", null);
        return ((AwsKmsProvider) provider("aws-kms", config)).create(config, client);
    }

    @Override
    protected boolean destroysImmediately() {
        return false;
    }

    @Test
    void theProviderBuildsItsClientFromTheSettingsWithoutCallingAws() {
        AwsKmsConfig config = new AwsKmsConfig("eu-west-1", "alias/sr-", "http://127.0.0.1:9");
        try (ManagedKms built = provided("aws-kms", config, new KmsContext("test", Map.of()))) {
            assertThat(built.keyIdFor("acme")).isEqualTo("aws-kms://alias/sr-acme");
        }
    }
}
