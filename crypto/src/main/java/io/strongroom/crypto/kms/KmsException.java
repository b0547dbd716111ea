package io.strongroom.crypto.kms;

/** Root of the KMS exception tree; adapters wrap vendor exceptions in it. */
public class KmsException extends RuntimeException {
    public KmsException(String message) {
        super(message);
    }

    public KmsException(String message, Throwable cause) {
        super(message, cause);
    }
}
