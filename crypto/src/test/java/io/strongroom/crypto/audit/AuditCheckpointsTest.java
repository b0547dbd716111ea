package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.avro.AuditAction;
import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed checkpoints of the chain heads catch what the hash chains alone cannot: a consistently rewritten topic. */
class AuditCheckpointsTest {
    private static final Duration T = Duration.ofSeconds(5);
    @TempDir Path dir;

    private LocalKms kms() {
        return LocalKms.open(LocalKms.Options.of(dir, "checkpoint-test", "test").withAutoCreate(true).withIterations(1000));
    }

    @Test
    void aRewrittenTopicWithValidChainsIsCaughtByTheSignedCheckpoint() {
        try (LocalKms kms = kms()) {
            byte[] key = AuditCheckpoints.newSigningKey(kms, "test", T);
            assertThat(new String(key, StandardCharsets.UTF_8)).as("no private key in the clear").doesNotContain("privateKey")
                    .contains("encryptedKeyset");
            PublicKeySign signer = AuditCheckpoints.signer("s3://b/key", key, kms, "test", T);
            PublicKeyVerify verifier = AuditCheckpoints.verifier("pinned", AuditCheckpoints.publicKeyset("s3://b/key", key));

            List<AuditVerifier.Positioned> original = new ArrayList<>(AuditVerifierTest.chain("encryptor", 5));
            original.addAll(AuditVerifierTest.chain("restore", 3));
            byte[] stored = AuditCheckpoints.sign(AuditCheckpoints.heads("test", original, Instant.now()), signer);
            AuditCheckpoints.Body body = AuditCheckpoints.open("cp-1", stored, verifier);
            assertThat(body.heads()).extracting(AuditCheckpoints.Head::emitter, AuditCheckpoints.Head::sequence)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("encryptor", 4L), org.assertj.core.groups.Tuple.tuple("restore", 2L));
            assertThat(AuditCheckpoints.check(Map.of("cp-1", body), original)).isEmpty();

            // an attacker rewrites the topic: the restores are gone and encryptor's chain is recomputed with other events
            List<AuditVerifier.Positioned> forged = new ArrayList<>();
            InMemoryAuditTrail trail = new InMemoryAuditTrail("encryptor");
            for (int i = 0; i < 5; i++) {
                trail.record(new AuditRecord("encryptor", AuditAction.GENERATE_DEK, io.strongroom.avro.AuditOutcome.SUCCESS,
                        "globex", "local://globex", "1", "other-" + i, null));
            }
            trail.events().forEach(e -> forged.add(new AuditVerifier.Positioned("audit/0/" + forged.size(), e)));
            assertThat(AuditVerifier.verify(forged).ok()).as("the hash chains alone look intact").isTrue();
            assertThat(AuditCheckpoints.check(Map.of("cp-1", body), forged))
                    .anyMatch(p -> p.contains("emitter encryptor sequence 4") && p.contains("another hash now: the audit topic was rewritten"))
                    .anyMatch(p -> p.contains("emitter restore sequence 2") && p.contains("no longer in the audit trail"));
        }
    }

    @Test
    void aForgedOrAlteredCheckpointDoesNotVerify() {
        try (LocalKms kms = kms()) {
            byte[] key = AuditCheckpoints.newSigningKey(kms, "test", T);
            byte[] otherKey = AuditCheckpoints.newSigningKey(kms, "test", T);
            PublicKeyVerify pinned = AuditCheckpoints.verifier("pinned", AuditCheckpoints.publicKeyset("k", key));
            AuditCheckpoints.Body body = AuditCheckpoints.heads("test", AuditVerifierTest.chain("a", 2), Instant.now());

            byte[] byAnotherKey = AuditCheckpoints.sign(body, AuditCheckpoints.signer("k2", otherKey, kms, "test", T));
            assertThatThrownBy(() -> AuditCheckpoints.open("s3://b/cp-2", byAnotherKey, pinned))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s3://b/cp-2")
                    .hasMessageContaining("does not verify");

            String altered = new String(AuditCheckpoints.sign(body, AuditCheckpoints.signer("k", key, kms, "test", T)),
                    StandardCharsets.UTF_8).replace("\\\"sequence\\\":1", "\\\"sequence\\\":0");
            assertThat(altered).contains("\\\"sequence\\\":0");
            assertThatThrownBy(() -> AuditCheckpoints.open("cp-3", altered.getBytes(StandardCharsets.UTF_8), pinned))
                    .hasMessageContaining("does not verify");
            assertThatThrownBy(() -> AuditCheckpoints.verifier("audit.public-key-file /x", "{}"))
                    .hasMessageContaining("audit.public-key-file /x is not a public signature keyset");
        }
    }

    @Test
    void usingTheSigningKeyIsAKmsUnwrapAndFailsClosedWhenItsKeyIsDisabled() {
        try (LocalKms kms = kms()) {
            byte[] key = AuditCheckpoints.newSigningKey(kms, "test", T);
            String keyId = kms.keyIdFor(AuditCheckpoints.KEY_TENANT);
            io.strongroom.crypto.kms.Kmses.await(kms.rotate(keyId), T);
            io.strongroom.crypto.kms.Kmses.await(kms.disable(keyId, "1"), T);
            assertThatThrownBy(() -> AuditCheckpoints.signer("s3://b/key", key, kms, "test", T))
                    .hasMessageContaining("disabled");
        }
    }
}
