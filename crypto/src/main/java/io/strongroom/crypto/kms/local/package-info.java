/** The {@code local://} KMS backend: Tink keysets in files, for development and the demo. */
package io.strongroom.crypto.kms.local;
