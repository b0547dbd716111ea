package io.strongroom.crypto.kms;

/** The KEK version is disabled or scheduled for destruction. Never retried. */
public class KeyDisabledException extends KmsException {
    public KeyDisabledException(String message) {
        super(message);
    }
}
