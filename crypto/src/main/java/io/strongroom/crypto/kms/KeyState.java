package io.strongroom.crypto.kms;

/** State of one KEK version. */
public enum KeyState {
    /** Wraps new DEKs and unwraps. Exactly one per key. */
    PRIMARY,
    /** Unwraps only (a former primary). */
    ENABLED,
    /** Unwraps nothing until enabled again. */
    DISABLED,
    /** Unwraps nothing; will be destroyed at its destroy time. */
    DESTROY_SCHEDULED,
    /** Material destroyed; irreversible. */
    DESTROYED;

    /** Whether a DEK wrapped under this version can be unwrapped. */
    public boolean canUnwrap() {
        return this == PRIMARY || this == ENABLED;
    }
}
