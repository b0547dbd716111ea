package io.strongroom.crypto.kms;

/**
 * One version of a KEK as the KMS sees it.
 *
 * @param keyId the KEK id
 * @param version the version
 * @param primary whether new DEKs are wrapped under it
 * @param enabled whether it may unwrap
 */
public record KeyVersion(String keyId, String version, boolean primary, boolean enabled) {}
