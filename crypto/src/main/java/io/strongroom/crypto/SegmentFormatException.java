package io.strongroom.crypto;

/** A segment that cannot be parsed, fails its integrity check, or fails authentication. */
public class SegmentFormatException extends RuntimeException {
    public SegmentFormatException(String message) {
        super(message);
    }

    public SegmentFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
