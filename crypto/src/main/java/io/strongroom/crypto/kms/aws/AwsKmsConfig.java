package io.strongroom.crypto.kms.aws;

import java.util.Objects;

/**
 * Settings of AWS KMS: {@code kms.aws} in the configuration file. Credentials come from the AWS default chain
 * (environment, profile, instance role).
 *
 * @param region AWS region; unset uses the default chain ({@code AWS_REGION})
 * @param aliasPrefix prefix of the per-tenant aliases; default {@code alias/strongroom-}
 * @param endpoint endpoint override (VPC endpoint, LocalStack); unset for AWS itself
 */
public record AwsKmsConfig(String region, String aliasPrefix, String endpoint) {
    public AwsKmsConfig {
        aliasPrefix = Objects.requireNonNullElse(aliasPrefix, "alias/strongroom-");
        if (!aliasPrefix.startsWith("alias/")) {
            throw new IllegalArgumentException("kms.aws.alias-prefix must start with alias/, got '" + aliasPrefix + "'");
        }
    }
}
