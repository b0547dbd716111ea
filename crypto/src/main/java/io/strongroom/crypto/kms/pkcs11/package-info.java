/**
 * The {@code pkcs11://<tenant>} backend: KEKs are non-extractable AES-256 keys generated on a
 * PKCS#11 token (an HSM; SoftHSM2 in tests) through the JDK's SunPKCS11 provider.
 */
package io.strongroom.crypto.kms.pkcs11;
