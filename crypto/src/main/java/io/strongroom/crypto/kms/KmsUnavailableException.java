package io.strongroom.crypto.kms;

/** The KMS could not be reached or timed out: transient, worth retrying. */
public class KmsUnavailableException extends KmsException {
    public KmsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
