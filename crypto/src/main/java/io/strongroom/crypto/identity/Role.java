package io.strongroom.crypto.identity;

import java.util.Arrays;
import java.util.Locale;

/**
 * Who signs what. A reader accepts an object only from the roles allowed to write it: the archiver
 * signs manifest parts and never a prune marker. Values are only ever appended.
 */
public enum Role {
    /** Manifest parts. */
    ARCHIVER,
    /** Rewrap parts, chain-head and audit checkpoints. */
    COORDINATOR,
    /** Its own audit chain. */
    ENCRYPTOR,
    /** Its own audit chain. */
    INGEST,
    /** Verify reports. */
    RESTORE,
    /** Prune markers, legal holds, rewrap parts run by hand, reports, legacy signatures. */
    OPERATOR;

    /** The role named {@code name} (any case). */
    public static Role parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown role '" + name + "', expected one of "
                    + Arrays.toString(values()).toLowerCase(Locale.ROOT));
        }
    }
}
