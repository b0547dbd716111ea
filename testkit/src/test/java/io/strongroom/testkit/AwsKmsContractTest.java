package io.strongroom.testkit;

import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.aws.AwsKms;

/** The KMS contract against the aws-kms backend, on an in-memory {@code KmsClient}. */
class AwsKmsContractTest extends KmsContract {
    private final FakeAwsKmsClient client = new FakeAwsKmsClient();

    @Override
    protected Kms open(boolean autoCreate) {
        return new AwsKms(client, "alias/strongroom-");
    }

    @Override
    protected boolean destroysImmediately() {
        return false;
    }
}
