/**
 * Envelope encryption for Strongroom: the versioned segment format, sealing and opening segments
 * with one data key (DEK) each, and the KMS SPI ({@link io.strongroom.crypto.kms.Kms}, the data plane) through which DEKs
 * are generated and wrapped by per-tenant key-encryption keys (KEKs).
 */
package io.strongroom.crypto;
