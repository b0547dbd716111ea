package io.strongroom.crypto.kms;

import java.time.Instant;

/**
 * One version of a KEK.
 *
 * @param keyId the KEK id
 * @param version the version ({@code 1}, {@code 2}...)
 * @param state its state
 * @param createdAt when it was created
 * @param changedAt when its state last changed
 * @param destroyAt when it is (or was) destroyed; null unless scheduled or destroyed
 * @param approval the approved dual-control request that scheduled its destruction, as the KMS recorded it; null if
 *     none was recorded (or the backend records none)
 */
public record KeyVersion(String keyId, String version, KeyState state, Instant createdAt, Instant changedAt,
        Instant destroyAt, DestroyApproval approval) {
    /** A version with no destruction approval recorded. */
    public KeyVersion(String keyId, String version, KeyState state, Instant createdAt, Instant changedAt, Instant destroyAt) {
        this(keyId, version, state, createdAt, changedAt, destroyAt, null);
    }

    public boolean primary() {
        return state == KeyState.PRIMARY;
    }
}
