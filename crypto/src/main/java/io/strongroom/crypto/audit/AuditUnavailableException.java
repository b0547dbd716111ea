package io.strongroom.crypto.audit;

import io.strongroom.crypto.kms.KmsException;

/** The audit trail cannot take records; key operations stop rather than run unaudited. */
public class AuditUnavailableException extends KmsException {
    public AuditUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
