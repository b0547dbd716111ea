package io.strongroom.crypto.identity;

/** An object a reader may not trust, and why: its message names the object, the reason and the signer. */
public final class UntrustedObjectException extends IllegalArgumentException {
    /** Why. */
    public enum Reason { UNSIGNED, MALFORMED, UNKNOWN_KEY, WRONG_ROLE, BAD_SIGNATURE, WRONG_TYPE, WRONG_CONTEXT, WRONG_ENVIRONMENT }

    private final Reason reason;

    UntrustedObjectException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
