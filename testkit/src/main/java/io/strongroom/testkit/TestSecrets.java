package io.strongroom.testkit;

import java.util.List;

/**
 * Secrets the tests use, in one place, so that a check at the end of the build can look for every one of
 * them in every log the build wrote: none may appear (no key, password, PIN, token or TOTP secret in a log
 * line or an exception).
 */
public final class TestSecrets {
    /** TOTP secret (base32) of the test security officer alice. */
    public static final String ALICE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    /** TOTP secret (base32) of the test security officer bob. */
    public static final String BOB_TOTP = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

    /** The secret of the DLQ payload digest (HMAC) in tests that build ingest themselves. */
    public static final String DLQ_DIGEST_KEY = "dlq-digest-test-secret-3c9b1e0a-5f7d-4e2a-9b6c";

    private TestSecrets() {}

    /** The admin API token of a test principal. */
    public static String token(String principal) {
        return principal + "-api-token-7d1f0c";
    }

    /** The Kafka (SASL/PLAIN) password of a test principal. */
    public static String kafkaPassword(String principal) {
        return principal + "-kafka-pw-5e2a";
    }

    /** Every fixed secret the tests hand to Strongroom. */
    public static List<String> all() {
        return List.of(EmbeddedS3.SECRET_KEY, TestKms.PASSPHRASE, SoftHsm.PIN, SoftHsm.SO_PIN, ALICE_TOTP, BOB_TOTP,
                token("alice"), token("bob"), token("carol"), token("dave"), token("erin"), "password=" + Postgres.PASSWORD, TestTls.PASSWORD,
                kafkaPassword("admin"), kafkaPassword("ingest"), kafkaPassword("encryptor"), kafkaPassword("archiver"),
                kafkaPassword("coordinator"), kafkaPassword("anomaly"), kafkaPassword("restore"), DLQ_DIGEST_KEY);
    }
}
