package io.strongroom.crypto.kms;

/** The KEK or KEK version does not exist. Never retried. */
public class UnknownKeyException extends KmsException {
    public UnknownKeyException(String message) {
        super(message);
    }
}
