/**
 * The {@code aws-kms://<alias>} backend: AWS KMS through the SDK v2 {@code KmsClient}, one AWS KMS
 * key per KEK version.
 */
package io.strongroom.crypto.kms.aws;
