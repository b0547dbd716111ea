package io.strongroom.crypto.kms;

/**
 * A wrapped data key, or the context it is unwrapped with (environment, tenant, segment), does not authenticate
 * under the KEK version it names: not an outage but a wrong or altered key or context. Never retried.
 */
public class DataKeyRejectedException extends KmsException {
    public DataKeyRejectedException(String message) {
        super(message);
    }
}
