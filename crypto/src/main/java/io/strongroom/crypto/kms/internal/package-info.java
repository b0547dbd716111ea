/** Shared machinery of the KMS backends that hold their own key material (local, PKCS#11). */
package io.strongroom.crypto.kms.internal;
