package io.strongroom.archiver;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * One place archives are written to: a bucket on an S3-compatible endpoint.
 *
 * @param name how logs, the index and repair name it: {@code bucket} or {@code bucket@endpoint}
 * @param settings its settings
 * @param client its client (owned: close the target)
 */
public record ArchiveTarget(String name, S3Settings settings, S3Client client) implements AutoCloseable {
    /** Opens a client for {@code settings}. */
    public static ArchiveTarget of(S3Settings settings) {
        String name = settings.endpoint() == null ? settings.bucket() : settings.bucket() + "@" + settings.endpoint();
        return new ArchiveTarget(name, settings, settings.client());
    }

    public String bucket() {
        return settings.bucket();
    }

    @Override
    public void close() {
        client.close();
    }
}
