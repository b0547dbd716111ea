package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.CatalogSignatures;
import io.strongroom.archive.ChainHeads;
import io.strongroom.archive.Manifests;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.internal.ChainHeadSigner;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.testkit.Dirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The archive against an attacker with the archiver's S3 permissions (and, where said, the archiver's signing key):
 * on a real pipeline (broker, S3Proxy, signed by default), each attack is detected, restore and verify exit 1 naming
 * the object, report lists it, and nothing of another tenant is touched. After each test the bucket is put back as it
 * was, byte for byte, and must verify again.
 */
class ArchiveAttackIT {
    private static Path dir;
    private static Sandbox sandbox;
    private static String cfg;
    private static S3Client s3;
    private static Map<String, byte[]> pristine;

    @BeforeAll
    static void archive() throws Exception {
        dir = Files.createTempDirectory("strongroom-attack-it-");
        sandbox = Sandbox.start(dir, "PT1S");
        assertThat(Demo.run(sandbox, new Demo.Options(600, 2, 19, Duration.ofMinutes(3)), System.out).ok()).isTrue();
        cfg = sandbox.configFile().toString();
        PipelineIT.Run once = PipelineIT.run("coordinator", "--config", cfg, "--once");
        assertThat(once.code()).as(once.err()).isZero();
        assertThat(once.out()).containsPattern("signed chain heads: checkpoint \\d+ \\([1-9]\\d* chains\\)");
        s3 = sandbox.config().s3().client();
        pristine = snapshot();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
        Dirs.deleteRecursively(dir);
    }

    @BeforeEach
    void verifiesBeforeTheAttack() {
        PipelineIT.Run v = PipelineIT.run("verify", "--config", cfg, "--tenant", "acme");
        assertThat(v.code()).as(v.out() + v.err()).isZero();
        assertThat(v.out()).contains("\"authenticated\" : true");
    }

    @AfterEach
    void putTheBucketBack() {
        Map<String, byte[]> now = snapshot();
        now.keySet().stream().filter(k -> !pristine.containsKey(k))
                .forEach(k -> s3.deleteObject(b -> b.bucket(Sandbox.BUCKET).key(k)));
        pristine.forEach((k, bytes) -> {
            if (!now.containsKey(k) || !Arrays.equals(now.get(k), bytes)) {
                s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(k), RequestBody.fromBytes(bytes));
            }
        });
        assertThat(snapshot().keySet()).isEqualTo(pristine.keySet());
    }

    private static Map<String, byte[]> snapshot() {
        Map<String, byte[]> all = new TreeMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET)).contents()) {
            all.put(o.key(), s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(o.key())).asByteArray());
        }
        return all;
    }

    private static void delete(String key) {
        s3.deleteObject(b -> b.bucket(Sandbox.BUCKET).key(key));
    }

    private static void put(String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(Sandbox.BUCKET).key(key), RequestBody.fromBytes(bytes));
    }

    /** Every manifest part of {@code tenant} (not rewrap parts), decoded without checking its signature. */
    private static Map<String, Manifests.Part> parts(String tenant) {
        Map<String, Manifests.Part> parts = new TreeMap<>();
        pristine.forEach((key, bytes) -> {
            if (ArchiveLayout.parse(key).kind() == ArchiveLayout.Kind.MANIFEST_PART && key.startsWith("demo/" + tenant + "/")) {
                parts.put(key, Manifests.decode(key, CatalogSignatures.open(key, key, bytes, null)));
            }
        });
        return parts;
    }

    /** The newest segment of acme's busiest chain, by its entry. */
    private static Manifests.Entry newestOfAChain() {
        List<Manifests.Entry> all = new ArrayList<>();
        parts("acme").values().forEach(p -> all.addAll(p.segments()));
        Map<String, Integer> perChain = new HashMap<>();
        all.forEach(e -> perChain.merge(e.stream() + "/" + e.sourcePartition(), 1, Integer::sum));
        String busiest = perChain.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        return all.stream().filter(e -> (e.stream() + "/" + e.sourcePartition()).equals(busiest))
                .max(Comparator.comparingLong(Manifests.Entry::lastOffset)).orElseThrow();
    }

    private static String partNaming(String objectKey) {
        return parts("acme").entrySet().stream()
                .filter(p -> p.getValue().segments().stream().anyMatch(e -> e.objectKey().equals(objectKey)))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
    }

    /** Restore and verify of acme both exit 1 naming {@code what}; report lists it; globex still verifies. */
    private static void detected(String... what) throws Exception {
        detectedFor(true, what);
    }

    /**
     * As {@link #detected}; for an attack on the environment's own objects ({@code tenantScoped} false), every tenant's
     * verify names it.
     */
    private static void detectedFor(boolean tenantScoped, String... what) throws Exception {
        Path out = dir.resolve("restore-" + System.nanoTime() + ".jsonl");
        PipelineIT.Run restore = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + out);
        assertThat(restore.code()).as(restore.out() + restore.err()).isEqualTo(1);
        PipelineIT.Run verify = PipelineIT.run("verify", "--config", cfg, "--tenant", "acme");
        assertThat(verify.code()).as(verify.out() + verify.err()).isEqualTo(1);
        Path report = dir.resolve("report-" + System.nanoTime() + ".json");
        PipelineIT.Run r = PipelineIT.run("report", "--config", cfg, "--tenant", "acme", "--json", report.toString());
        String reported = Files.readString(report, StandardCharsets.UTF_8);
        for (String w : what) {
            assertThat(restore.err()).as("restore names it").contains(w);
            assertThat(verify.out()).as("verify names it").contains(w);
            assertThat(reported).as("report lists it (exit " + r.code() + ")").contains(w);
        }
        PipelineIT.Run other = PipelineIT.run("verify", "--config", cfg, "--tenant", "globex");
        if (tenantScoped) {
            assertThat(other.code()).as("another tenant is untouched: " + other.out()).isZero();
        } else {
            assertThat(other.code()).as(other.out()).isEqualTo(1);
            assertThat(other.out()).contains(what);
        }
    }

    @Test
    void theNewestSegmentOfAChainDeletedTogetherWithItsManifestPart() throws Exception {
        Manifests.Entry newest = newestOfAChain();
        String part = partNaming(newest.objectKey());
        // the part is signed, so it cannot be rewritten without the entry: the attacker deletes it whole
        delete(newest.objectKey());
        delete(part);

        detected("segment " + newest.segmentId(), "deleted");
    }

    @Test
    void aManifestPartReplacedByAnOlderSignedOne() throws Exception {
        Manifests.Entry newest = newestOfAChain();
        String part = partNaming(newest.objectKey());
        String older = parts("acme").keySet().stream().filter(k -> !k.equals(part)).findFirst().orElseThrow();
        delete(newest.objectKey());
        put(part, pristine.get(older)); // genuine signature, of another object

        detected(part, "segment " + newest.segmentId());
    }

    @Test
    void aForgedRewrapPartNeitherFoolsRestoreNorLetsANeededVersionBeDisabled() throws Exception {
        PipelineIT.Run rotate = PipelineIT.run("keys", "rotate", "--config", cfg, "--tenant", "acme", "--principal", "ops");
        assertThat(rotate.code()).as(rotate.err()).isZero();
        // the forgery: every segment of acme "already" on version 2 (unsigned: the attacker has no coordinator key)
        List<Manifests.Entry> moved = new ArrayList<>();
        parts("acme").values().forEach(p -> p.segments().forEach(e -> moved.add(new Manifests.Entry(e.segmentId(),
                e.objectKey(), e.stream(), e.sourcePartition(), e.firstOffset(), e.lastOffset(), e.recordCount(),
                e.minEventTimeMs(), e.maxEventTimeMs(), e.sealedAtMs(), e.predecessorSegmentId(), e.keyId(), "2",
                e.sizeBytes(), e.sha256(), e.bodyCrc32c(), e.classification(), System.currentTimeMillis(), e.dekAlgorithm(),
                e.wrappedDek()))));
        String day = ArchiveLayout.parse(moved.get(0).objectKey()).day();
        String forged = ArchiveLayout.rewrapKey("demo", "acme", day, "all", System.currentTimeMillis());
        put(forged, Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, "demo", "acme", day, moved)));

        PipelineIT.Run disable = PipelineIT.run("keys", "disable", "--config", cfg, "--tenant", "acme", "--version", "1");
        assertThat(disable.code()).as(disable.out() + disable.err()).isEqualTo(1);
        assertThat(disable.err()).contains("refused: " + moved.size() + " archived segments of tenant acme still need");

        detected(forged, "unsigned");
    }

    @Test
    void aForgedPruneMarkerExcusesNoDeletedSegment() throws Exception {
        Manifests.Entry newest = newestOfAChain();
        delete(newest.objectKey());
        String marker = ArchiveLayout.prunedKey("demo", "acme", System.currentTimeMillis(), "forged");
        put(marker, ("{\"formatVersion\":1,\"tenant\":\"acme\",\"by\":\"operator:retention\",\"prunedAtMs\":1,"
                + "\"segments\":{\"" + newest.segmentId() + "\":\"" + newest.objectKey() + "\"}}")
                .getBytes(StandardCharsets.UTF_8));

        detected(marker, newest.objectKey());
    }

    @Test
    void aManifestEntryPointingIntoAnotherTenantsPrefixWithTheArchiversOwnKey() throws Exception {
        // a compromised archiver host signs what it likes as the archiver: it still cannot claim globex's objects
        SigningIdentity archiver = IdentityFile.load(sandbox.config().identity().file(Role.ARCHIVER));
        Manifests.Entry globex = parts("globex").values().iterator().next().segments().get(0);
        String day = ArchiveLayout.parse(globex.objectKey()).day();
        String key = ArchiveLayout.manifestKey("demo", "acme", day, 9, 0, 0);
        put(key, CatalogSignatures.seal(archiver, key, Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, "demo",
                "acme", day, List.of(globex)))));

        detected(key, "outside tenant acme's prefix");
        assertThat(s3.headObject(b -> b.bucket(Sandbox.BUCKET).key(globex.objectKey())).contentLength())
                .isEqualTo(globex.sizeBytes());
    }

    @Test
    void anArchiveFromBeforeSigningIsUnsignedUntilAttestedThenAcceptedOnlyAsItWas() throws Exception {
        // acme's catalog as an archiver before signing wrote it: the same parts, plain JSON
        Map<String, Manifests.Part> legacy = parts("acme");
        legacy.keySet().forEach(k -> put(k, Signed.unverifiedPayload(k, pristine.get(k))));
        PipelineIT.Run unsigned = PipelineIT.run("verify", "--config", cfg, "--tenant", "acme");
        assertThat(unsigned.code()).isEqualTo(1);
        assertThat(unsigned.out()).contains(legacy.keySet().iterator().next()).contains("unsigned (written before signed format 1");

        PipelineIT.Run sign = PipelineIT.run("archive", "sign-legacy", "--config", cfg, "--tenant", "acme", "--principal", "ops");
        assertThat(sign.code()).as(sign.out() + sign.err()).isZero();
        assertThat(sign.out()).contains("attested " + legacy.size() + " unsigned catalog objects of tenant acme");
        PipelineIT.Run attested = PipelineIT.run("verify", "--config", cfg, "--tenant", "acme");
        assertThat(attested.code()).as(attested.out()).isZero();

        // after the attestation: a legacy part edited (its newest entry dropped) is unsigned again, and named
        Manifests.Entry newest = newestOfAChain();
        String part = partNaming(newest.objectKey());
        Manifests.Part p = legacy.get(part);
        List<Manifests.Entry> fewer = new ArrayList<>(p.segments());
        fewer.removeIf(e -> e.segmentId().equals(newest.segmentId()));
        put(part, Manifests.encode(new Manifests.Part(p.formatVersion(), p.environment(), p.tenant(), p.day(), fewer)));
        delete(newest.objectKey());
        detected(part, "unsigned");
    }

    @Test
    void signLegacyRefusesACatalogThatDoesNotAddUp() {
        Manifests.Entry newest = newestOfAChain();
        delete(newest.objectKey());
        PipelineIT.Run sign = PipelineIT.run("archive", "sign-legacy", "--config", cfg, "--tenant", "acme");
        assertThat(sign.code()).isEqualTo(1);
        assertThat(sign.err()).contains(newest.objectKey()).contains("nothing attested");
        assertThat(snapshot().keySet()).noneMatch(k -> k.contains("/_attested/"));
    }

    @Test
    void everyChainHeadCheckpointDeletedTogetherWithTheNewestSegment() throws Exception {
        Manifests.Entry newest = newestOfAChain();
        delete(newest.objectKey());
        delete(partNaming(newest.objectKey()));
        pristine.keySet().stream().filter(k -> k.startsWith("demo/_chain-heads/")).forEach(ArchiveAttackIT::delete);

        detectedFor(false, "no signed chain-head checkpoint");
    }

    @Test
    void signLegacyDoesNotAttestAnUnsignedObjectWrittenAfterSigningBegan() {
        Manifests.Entry newest = newestOfAChain();
        delete(newest.objectKey());
        // the forgery reads "unsigned" like history would: a marker excusing the deleted segment
        String marker = ArchiveLayout.prunedKey("demo", "acme", System.currentTimeMillis(), "planted");
        put(marker, ("{\"formatVersion\":1,\"tenant\":\"acme\",\"by\":\"operator:retention\",\"prunedAtMs\":1,"
                + "\"segments\":{\"" + newest.segmentId() + "\":\"" + newest.objectKey() + "\"}}").getBytes(StandardCharsets.UTF_8));

        PipelineIT.Run sign = PipelineIT.run("archive", "sign-legacy", "--config", cfg, "--tenant", "acme");

        assertThat(sign.code()).as(sign.out() + sign.err()).isEqualTo(1);
        assertThat(sign.err()).contains(marker).contains("written after the tenant's first signed catalog object")
                .contains("nothing attested");
        assertThat(snapshot().keySet()).noneMatch(k -> k.contains("/_attested/"));
    }

    @Test
    void theNewestChainHeadCheckpointDeleted() throws Exception {
        ChainHeads.History before = ChainHeads.read(ArchiveTarget.over(s3, Sandbox.BUCKET), "demo",
                sandbox.config().trust());
        assertThat(before.problems()).isEmpty();
        // the coordinator keeps signing: the one after the deleted checkpoint names it
        try (var signer = new ChainHeadSigner(sandbox.config().kafka().clientProperties(),
                List.of(ArchiveTarget.over(s3, Sandbox.BUCKET)), "demo",
                sandbox.config().signingIdentity(Role.COORDINATOR), sandbox.config().trust(), Duration.ofSeconds(1), null, null,
                Clock.systemUTC())) {
            ChainHeads.Stored newest = signer.checkpoint();
            delete(newest.key());
            // until the next one, the head only ages: a verify that expects one every second calls it stale
            Path quick = dir.resolve("quick-heads.yaml");
            Files.writeString(quick, Files.readString(sandbox.configFile()) + "\nheads:\n  interval: PT1S\n"
                    + "  stale-after-intervals: 2\n");
            Awaitility.await("verify calling the remaining checkpoint stale").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        PipelineIT.Run v = PipelineIT.run("verify", "--config", quick.toString(), "--tenant", "acme");
                        return v.code() == 1 && v.out().contains("the newest chain-head checkpoint is");
                    });
            signer.checkpoint();
            detectedFor(false, newest.key(), "missing", "(deleted)");
        }
    }
}
