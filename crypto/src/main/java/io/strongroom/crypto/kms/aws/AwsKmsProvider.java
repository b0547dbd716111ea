package io.strongroom.crypto.kms.aws;

import io.strongroom.crypto.kms.KmsContext;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.crypto.kms.ManagedKms;
import java.net.URI;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/** {@code kms.type: aws-kms}, settings under {@code kms.aws}: an {@link AwsKms} on an SDK client built from them. */
public final class AwsKmsProvider implements KmsProvider<AwsKmsConfig> {

    @Override
    public String name() {
        return "aws-kms";
    }

    /** {@code kms.aws}, as before the SPI. */
    @Override
    public String configKey() {
        return "aws";
    }

    @Override
    public Class<AwsKmsConfig> configType() {
        return AwsKmsConfig.class;
    }

    @Override
    public ManagedKms create(AwsKmsConfig config, KmsContext context) {
        return create(config, client(config));
    }

    /** An {@link AwsKms} for {@code config} on {@code client} (a test's in-memory client, or one built elsewhere). */
    public AwsKms create(AwsKmsConfig config, KmsClient client) {
        return new AwsKms(client, config.aliasPrefix());
    }

    /** The SDK client {@code config} describes: its region and endpoint, credentials from the default chain. */
    static KmsClient client(AwsKmsConfig config) {
        var builder = KmsClient.builder().httpClientBuilder(Apache5HttpClient.builder());
        if (config.region() != null) {
            builder.region(Region.of(config.region()));
        }
        if (config.endpoint() != null) {
            builder.endpointOverride(URI.create(config.endpoint()));
        }
        return builder.build();
    }
}
