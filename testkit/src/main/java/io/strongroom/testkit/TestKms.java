package io.strongroom.testkit;

import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.file.Path;

/** Local KMS instances for tests: a fixed passphrase and a low PBKDF2 cost, so opening is fast. */
public final class TestKms {
    /** The passphrase of every test KMS. */
    public static final String PASSPHRASE = "test-passphrase-not-secret";

    private TestKms() {}

    /** A local KMS in {@code dir} for environment {@code test}. */
    public static LocalKms local(Path dir, boolean autoCreate) {
        return LocalKms.open(LocalKms.Options.of(dir, PASSPHRASE, "test").withAutoCreate(autoCreate).withIterations(1000));
    }
}
