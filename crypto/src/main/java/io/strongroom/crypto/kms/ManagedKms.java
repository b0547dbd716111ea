package io.strongroom.crypto.kms;

/**
 * A whole key management service, data plane ({@link Kms}) and key administration ({@link KeyAdmin}): what a
 * {@link KmsProvider} builds and what the decorators ({@link ResilientKms}, {@link MeteredKms},
 * {@link CachingKms}, the auditing layer) wrap. Hand the services that seal and open segments its {@link Kms}
 * face only; the coordinator and the operator commands take the whole.
 */
public interface ManagedKms extends Kms, KeyAdmin {}
