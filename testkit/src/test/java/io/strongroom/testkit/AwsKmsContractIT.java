package io.strongroom.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.aws.AwsKmsConfig;
import java.util.Map;

/**
 * The KMS contract against real AWS KMS, through its provider ({@code kms.type: aws-kms}). Runs only when credentials and an alias prefix are
 * configured (AWS_ACCESS_KEY_ID / AWS_PROFILE, AWS_REGION, STRONGROOM_AWS_KMS_ALIAS_PREFIX such as
 * {@code alias/strongroom-it-}); otherwise skipped, saying so — the one skip CI allows, since no
 * AWS account is reachable from it. Each run creates keys and schedules their deletion (7 days).
 */
class AwsKmsContractIT extends KmsContract {
    private static final String PREFIX = System.getenv("STRONGROOM_AWS_KMS_ALIAS_PREFIX");

    @Override
    protected ManagedKms open(boolean autoCreate) {
        boolean credentials = System.getenv("AWS_ACCESS_KEY_ID") != null || System.getenv("AWS_PROFILE") != null;
        assumeTrue(credentials && PREFIX != null && System.getenv("AWS_REGION") != null,
                "AWS KMS contract skipped: no AWS account configured (set AWS credentials, AWS_REGION and "
                        + "STRONGROOM_AWS_KMS_ALIAS_PREFIX to run it)");
        return provided("aws-kms", new AwsKmsConfig(System.getenv("AWS_REGION"), PREFIX, null),
                new KmsContext("test", Map.of()));
    }

    @Override
    protected boolean destroysImmediately() {
        return false;
    }
}
