/**
 * The KMS SPI. {@link io.strongroom.crypto.kms.Kms} is the data plane (generate a data key wrapped by a tenant's
 * key-encryption key, unwrap it, wrap one): all that the encryptor, ingest and restore see.
 * {@link io.strongroom.crypto.kms.KeyAdmin} is key administration (create, rotate, describe, disable, enable,
 * destroy, unwrap as key material): the coordinator's and the operator commands'. A backend implements both as a
 * {@link io.strongroom.crypto.kms.ManagedKms} and is built by a {@link io.strongroom.crypto.kms.KmsProvider},
 * found by {@link java.util.ServiceLoader} ({@link io.strongroom.crypto.kms.KmsProviders}) and selected by
 * {@code kms.type}. Key ids are URIs whose scheme names the backend ({@code local://}, {@code pkcs11://},
 * {@code aws-kms://}). Methods are asynchronous and report failure through the returned stage, never by
 * throwing. Retries, metrics, the unwrap cache and auditing are decorators of {@code ManagedKms}.
 */
package io.strongroom.crypto.kms;
