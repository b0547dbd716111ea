/**
 * The KMS SPI: generate a data key wrapped by a tenant's key-encryption key (KEK), and unwrap it
 * again. Key ids are URIs whose scheme names the backend ({@code local://}, later
 * {@code pkcs11://}, {@code aws-kms://}). Methods are asynchronous and report failure through the
 * returned stage, never by throwing.
 */
package io.strongroom.crypto.kms;
