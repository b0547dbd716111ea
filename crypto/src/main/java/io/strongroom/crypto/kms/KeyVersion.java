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
 */
public record KeyVersion(String keyId, String version, KeyState state, Instant createdAt, Instant changedAt,
        Instant destroyAt) {
    public boolean primary() {
        return state == KeyState.PRIMARY;
    }
}
