package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.local.LocalKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
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
                    .containsExactly(Tuple.tuple("encryptor", 4L), Tuple.tuple("restore", 2L));
            assertThat(AuditCheckpoints.check(Map.of("cp-1", body), original)).isEmpty();

            // an attacker rewrites the topic: the restores are gone and encryptor's chain is recomputed with other events
            List<AuditVerifier.Positioned> forged = new ArrayList<>();
            InMemoryAuditTrail trail = new InMemoryAuditTrail("encryptor");
            for (int i = 0; i < 5; i++) {
                trail.record(new AuditRecord("encryptor", AuditAction.GENERATE_DEK, AuditOutcome.SUCCESS,
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
            Kmses.await(kms.rotate(keyId), T);
            Kmses.await(kms.disable(keyId, "1"), T);
            assertThatThrownBy(() -> AuditCheckpoints.signer("s3://b/key", key, kms, "test", T))
                    .hasMessageContaining("disabled");
        }
    }

    private static final String ENV = "test";

    /** A chain of {@code n} stored checkpoints, each naming its predecessor's (made-up) SHA-256. */
    private static List<AuditCheckpoints.Stored> chainOf(int n) {
        List<AuditCheckpoints.Stored> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(linked(i, i == 0 ? null : out.get(i - 1).sha256(), "sha-" + i));
        }
        return out;
    }

    private static AuditCheckpoints.Stored linked(long sequence, String previous, String sha) {
        return new AuditCheckpoints.Stored(where(sequence), new AuditCheckpoints.Body(AuditCheckpoints.FORMAT_VERSION, ENV,
                sequence, 1_000 + sequence, 0, previous, List.of()), sha);
    }

    private static String where(long sequence) {
        return "s3://b/cp/s" + sequence;
    }

    @Test
    void anIntactChainHasNoProblemsAndItsNewestIsTheLast() {
        AuditCheckpoints.Chain chain = AuditCheckpoints.chain(chainOf(4), AuditCheckpointsTest::where);
        assertThat(chain.problems()).isEmpty();
        assertThat(chain.newest().where()).isEqualTo(where(3));
        assertThat(chain.newestAge(Instant.ofEpochMilli(1_003 + 60_000))).isEqualTo(Duration.ofMinutes(1));
        assertThat(AuditCheckpoints.chain(List.of(), AuditCheckpointsTest::where).newest()).isNull();
    }

    @Test
    void aCheckpointDeletedInTheMiddleOrAtTheStartIsAGapNamingTheMissingObjects() {
        List<AuditCheckpoints.Stored> c = new ArrayList<>(chainOf(6));
        c.remove(3);
        c.remove(2);
        assertThat(AuditCheckpoints.chain(c, AuditCheckpointsTest::where).problems()).singleElement().asString()
                .startsWith(where(2) + " to " + where(3) + ": audit checkpoints 2-3 missing between " + where(1))
                .contains("and " + where(4) + " (sequence 4)").endsWith("deleted");
        List<AuditCheckpoints.Stored> headless = new ArrayList<>(chainOf(3));
        headless.remove(0);
        assertThat(AuditCheckpoints.chain(headless, AuditCheckpointsTest::where).problems()).singleElement().asString()
                .startsWith(where(0) + ": audit checkpoint 0 missing before " + where(1));
    }

    @Test
    void aReplacedCheckpointIsNamedByItsSuccessorsLink() {
        List<AuditCheckpoints.Stored> c = new ArrayList<>(chainOf(4));
        c.set(1, linked(1, c.get(0).sha256(), "sha-other"));
        assertThat(AuditCheckpoints.chain(c, AuditCheckpointsTest::where).problems()).singleElement().asString()
                .startsWith(where(1) + " (sequence 1): replaced: its SHA-256 is sha-other, but " + where(2))
                .endsWith("written after one with SHA-256 sha-1");
    }

    @Test
    void twoCheckpointsNamingTheSamePredecessorAreAFork() {
        List<AuditCheckpoints.Stored> c = new ArrayList<>(chainOf(3));
        c.add(linked(3, "sha-1", "sha-3")); // a second writer, continuing checkpoint 1 under the next free name
        assertThat(AuditCheckpoints.chain(c, AuditCheckpointsTest::where).problems()).singleElement().asString()
                .isEqualTo(where(2) + " and " + where(3) + ": 2 audit checkpoints written after the same one (" + where(1)
                        + "): a fork, two writers signing checkpoints");
    }

    @Test
    void sequencesAWriterSkippedAreNoGapAndUnlinkedCheckpointsAreNoChain() {
        List<AuditCheckpoints.Stored> c = new ArrayList<>(chainOf(2));
        c.add(linked(5, "sha-1", "sha-5")); // names 2-4 held objects that did not authenticate
        c.add(new AuditCheckpoints.Stored("s3://b/cp/legacy", new AuditCheckpoints.Body(AuditCheckpoints.FORMAT_UNLINKED, ENV,
                null, 500, 0, null, List.of()), "sha-legacy"));
        AuditCheckpoints.Chain chain = AuditCheckpoints.chain(c, AuditCheckpointsTest::where);
        assertThat(chain.problems()).isEmpty();
        assertThat(chain.checkpoints()).extracting(AuditCheckpoints.Stored::where)
                .containsExactly("s3://b/cp/legacy", where(0), where(1), where(5));
    }

    @Test
    void aFormatOneCheckpointIsReadUnlinkedAndTheTrackerLinksTheNextToItsPredecessor() throws Exception {
        try (LocalKms kms = kms()) {
            byte[] key = AuditCheckpoints.newSigningKey(kms, ENV, T);
            AuditCheckpoints.Keys keys = AuditCheckpoints.keys("k", key, kms, ENV, T);
            // as written before the chain: no sequence, no predecessor
            String v1 = "{\"formatVersion\":1,\"environment\":\"test\",\"createdAtMs\":5,\"events\":0,\"heads\":[]}";
            byte[] stored = new ObjectMapper().writeValueAsBytes(new AuditCheckpoints.Signed(v1,
                    Base64.getEncoder().encodeToString(keys.signer().sign(v1.getBytes(StandardCharsets.UTF_8)))));
            AuditCheckpoints.Stored legacy = AuditCheckpoints.read("legacy", stored, keys.verifier());
            assertThat(legacy.body().linked()).isFalse();
            assertThat(legacy.body().sequence()).isNull();

            AuditCheckpoints.Tracker tracker = new AuditCheckpoints.Tracker();
            AuditVerifierTest.chain("a", 3).forEach(tracker::add);
            AuditCheckpoints.Stored first = AuditCheckpoints.read("s0", AuditCheckpoints.sign(
                    tracker.body(ENV, Instant.now(), null), keys.signer()), keys.verifier());
            AuditCheckpoints.Stored second = AuditCheckpoints.read("s1", AuditCheckpoints.sign(
                    tracker.body(ENV, Instant.now(), first), keys.signer()), keys.verifier());
            assertThat(first.body().sequence()).isZero();
            assertThat(first.body().previousSha256()).isNull();
            assertThat(second.body().sequence()).isEqualTo(1);
            assertThat(second.body().previousSha256()).isEqualTo(first.sha256()).hasSize(64);
            assertThat(AuditCheckpoints.chain(List.of(second, legacy, first), s -> "s" + s).problems()).isEmpty();
            assertThatThrownBy(() -> tracker.body(ENV, Instant.now(), 1, second)).hasMessageContaining("cannot follow s1");
            assertThatThrownBy(() -> tracker.body(ENV, Instant.now(), legacy)).hasMessageContaining("cannot follow legacy");
        }
    }
}
