package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.Classification;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Signed chain heads against a writer with the bucket's permissions (the archiver's, say): deleting the newest segment
 * together with every manifest that names it, deleting or replacing a checkpoint, or forging one, is each a named
 * problem.
 */
class ChainHeadsIT {
    private static final String ENV = "prod";
    private static final String DAY = "2026/01/01";
    private static final long SEALED = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static final Duration INTERVAL = Duration.ofMinutes(5);
    private static final SigningIdentity ARCHIVER = SigningIdentity.generate(Role.ARCHIVER, ENV);
    private static final SigningIdentity COORDINATOR = SigningIdentity.generate(Role.COORDINATOR, ENV);
    private static final TrustFile TRUST = TrustFile.empty(ENV).with(ARCHIVER).with(COORDINATOR);

    private EmbeddedS3 s3;
    private ArchiveTarget target;

    @BeforeEach
    void start() {
        s3 = EmbeddedS3.start();
        s3.createBucket("archive");
        target = ArchiveTarget.over(s3.client(), "archive");
    }

    @AfterEach
    void stop() {
        target.close();
        s3.close();
    }

    private static String segmentKey(String id, long first) {
        return String.format("%s/acme/changes/2026/01/01/p0/%020d-%020d-%s.srseg", ENV, first, first + 9, id);
    }

    /** Archives segment {@code id} with its signed manifest part, as the archiver does; returns its manifest's key. */
    private String archive(String id, long first) {
        String key = segmentKey(id, first);
        target.putIfAbsent(key, id.getBytes(StandardCharsets.UTF_8), "application/octet-stream", null);
        String part = ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, first, first + 9);
        Manifests.Entry e = new Manifests.Entry(id, key, "changes", 0, first, first + 9, 10, SEALED, SEALED, SEALED, null,
                "local://k", "1", id.length(), "00", "00000000", Classification.PUBLIC.name(), null, null, null);
        target.putIfAbsent(part, CatalogSignatures.seal(ARCHIVER, part, Manifests.encode(
                new Manifests.Part(Manifests.FORMAT_VERSION, ENV, "acme", DAY, List.of(e)))), "application/json", null);
        return part;
    }

    private ChainHeads.Stored sign(ChainHeads.Stored previous, ChainHeads.Tracker tracker, Instant at) {
        return ChainHeads.write(List.of(target), ENV, COORDINATOR, previous, tracker.heads(), at, INTERVAL, null);
    }

    private List<String> problems() {
        ArchiveCatalog catalog = ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme"), TRUST);
        ChainHeads.History history = ChainHeads.read(target, ENV, TRUST);
        List<String> problems = new ArrayList<>(catalog.problems());
        problems.addAll(history.problems());
        problems.addAll(ChainHeads.missing(target, catalog, history.newest(), ArchiveLayout.tenantPrefix(ENV, "acme")));
        return problems;
    }

    @Test
    void theTrackerCountsEachSegmentOnceAndKeepsTheNewest() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        t.add("acme", "changes", 0, "s1", 9);
        t.add("acme", "changes", 0, "s2", 19);
        t.add("acme", "changes", 0, "s2", 19); // the archiver retried
        t.add("acme", "changes", 0, "s1", 9); // the index read again
        t.add("acme", "changes", 1, "q1", 4);

        assertThat(t.heads()).containsExactly(new ChainHeads.Head("acme", "changes", 0, "s2", 19, 2),
                new ChainHeads.Head("acme", "changes", 1, "q1", 4, 1));
    }

    @Test
    void theTrackerCountsAChainSpreadOverTheIndexsPartitionsInAnyOrder() {
        // one chain's index entries lie on several index partitions (keyed by segment id): read newest first
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        t.add("acme", "changes", 0, "s3", 29);
        t.add("acme", "changes", 0, "s1", 9);
        t.add("acme", "changes", 0, "s2", 19);

        assertThat(t.heads()).containsExactly(new ChainHeads.Head("acme", "changes", 0, "s3", 29, 3));
    }

    @Test
    void theNewestSegmentDeletedWithItsManifestPartIsDetectedFromTheSignedHead() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        archive("s1", 0);
        t.add("acme", "changes", 0, "s1", 9);
        String part = archive("s2", 10);
        t.add("acme", "changes", 0, "s2", 19);
        sign(null, t, Instant.ofEpochMilli(SEALED));
        assertThat(problems()).isEmpty();

        // the attacker: the newest segment and the (signed, so not editable) part that names it, both gone
        target.client().deleteObject(b -> b.bucket("archive").key(segmentKey("s2", 10)));
        target.client().deleteObject(b -> b.bucket("archive").key(part));

        assertThat(problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("segment s2").contains("acme/changes/p0").contains("deleted"))
                .anySatisfy(p -> assertThat(p).contains("holds 1 segments").contains("counted 2"));
    }

    @Test
    void aSegmentArchivedAfterTheNewestCheckpointIsNoProblem() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        String part = archive("s1", 0);
        t.add("acme", "changes", 0, "s1", 9);
        sign(null, t, Instant.ofEpochMilli(SEALED));
        archive("s2", 10);

        assertThat(problems()).isEmpty();
    }

    @Test
    void aCheckpointDeletedInTheMiddleIsAGapAndOneReplacedIsNamed() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        ChainHeads.Stored c0 = sign(null, t, Instant.ofEpochMilli(SEALED));
        ChainHeads.Stored c1 = sign(c0, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL));
        ChainHeads.Stored c2 = sign(c1, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL.multipliedBy(2)));
        sign(c2, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL.multipliedBy(3)));
        assertThat(ChainHeads.read(target, ENV, TRUST).problems()).isEmpty();

        target.client().deleteObject(b -> b.bucket("archive").key(c1.key()));
        // c2 replaced by another genuine checkpoint's bytes cannot even be put back under its name (signed for c0's):
        // the attacker signs nothing, so the best it can do is an older genuine copy under the newer name
        target.client().deleteObject(b -> b.bucket("archive").key(c2.key()));
        target.client().putObject(b -> b.bucket("archive").key(c2.key()),
                RequestBody.fromBytes(target.get(c0.key())));

        ChainHeads.History h = ChainHeads.read(target, ENV, TRUST);
        assertThat(h.problems()).anySatisfy(p -> assertThat(p).contains(c2.key()))
                .anySatisfy(p -> assertThat(p).contains("checkpoint").contains("missing").contains("(deleted)"));
        assertThat(h.newest().checkpoint().sequence()).isEqualTo(3);
    }

    @Test
    void anUnsignedOrArchiverSignedCheckpointIsNotTrusted() {
        String forged = ArchiveLayout.chainHeadsKey(ENV, 0);
        byte[] payload = ("{\"formatVersion\":1,\"environment\":\"prod\",\"sequence\":0,\"createdAtMs\":1,"
                + "\"intervalMs\":300000,\"previousSha256\":null,\"heads\":[]}").getBytes(StandardCharsets.UTF_8);
        target.putIfAbsent(forged, payload, "application/json", null);
        String byArchiver = ArchiveLayout.chainHeadsKey(ENV, 1);
        target.putIfAbsent(byArchiver, Signed.sign(ARCHIVER, "chain-heads", byArchiver, payload),
                "application/json", null);

        ChainHeads.History h = ChainHeads.read(target, ENV, TRUST);

        assertThat(h.newest()).isNull();
        assertThat(h.problems()).hasSize(2).anySatisfy(p -> assertThat(p).contains(forged).contains("unsigned"))
                .anySatisfy(p -> assertThat(p).contains(byArchiver).contains("ARCHIVER"));
    }

    @Test
    void aCoordinatorThatIsNotTheNewestCannotOverwriteACheckpointAndItsOwnIsAForkReadersName() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        ChainHeads.Stored c0 = sign(null, t, Instant.ofEpochMilli(SEALED));
        ChainHeads.Stored c1 = sign(c0, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL));
        byte[] c1Bytes = target.get(c1.key());

        ChainHeads.Stored stale = sign(c0, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL.multipliedBy(2)));

        assertThat(target.get(c1.key())).isEqualTo(c1Bytes);
        assertThat(stale.checkpoint().sequence()).isEqualTo(2);
        assertThat(stale.checkpoint().skipped()).containsExactly(1L);
        assertThat(ChainHeads.read(target, ENV, TRUST).problems()).singleElement().satisfies(p -> assertThat(p)
                .contains(stale.key()).contains("follows 0").contains("two coordinators"));
    }

    @Test
    void squattingOnTheNextCheckpointNamesDoesNotStopTheSigningAndTheSquattersAreNamed() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        ChainHeads.Stored c0 = sign(null, t, Instant.ofEpochMilli(SEALED));
        // an S3 writer takes the next two names before the coordinator gets there (its bytes cannot be signed)
        for (long squatted : List.of(1L, 2L)) {
            target.putIfAbsent(ArchiveLayout.chainHeadsKey(ENV, squatted), "{}".getBytes(StandardCharsets.UTF_8),
                    "application/json", null);
        }
        String part = archive("s1", 0);
        t.add("acme", "changes", 0, "s1", 9);

        ChainHeads.Stored c3 = sign(c0, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL));
        ChainHeads.Stored c4 = sign(c3, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL.multipliedBy(2)));

        assertThat(c3.checkpoint().sequence()).isEqualTo(3);
        assertThat(c3.checkpoint().skipped()).containsExactly(1L, 2L);
        assertThat(c3.checkpoint().follows()).isEqualTo(0);
        assertThat(c4.checkpoint().skipped()).isEmpty();
        ChainHeads.History h = ChainHeads.read(target, ENV, TRUST);
        assertThat(h.newest().key()).isEqualTo(c4.key());
        assertThat(h.problems()).hasSize(2).allSatisfy(p -> assertThat(p).containsAnyOf(
                ArchiveLayout.chainHeadsKey(ENV, 1), ArchiveLayout.chainHeadsKey(ENV, 2))).noneSatisfy(p -> assertThat(p)
                .containsAnyOf("missing", "replaced", "two coordinators"));
        // the heads the squatter tried to keep from being signed still catch a deletion
        target.client().deleteObject(b -> b.bucket("archive").key(segmentKey("s1", 0)));
        target.client().deleteObject(b -> b.bucket("archive").key(part));
        assertThat(problems()).anySatisfy(p -> assertThat(p).contains("s1").contains("deleted"));
    }

    @Test
    void aCheckpointDeletedJustBeforeASkipIsStillAGap() {
        ChainHeads.Tracker t = new ChainHeads.Tracker();
        ChainHeads.Stored c0 = sign(null, t, Instant.ofEpochMilli(SEALED));
        target.putIfAbsent(ArchiveLayout.chainHeadsKey(ENV, 2), "{}".getBytes(StandardCharsets.UTF_8), "application/json",
                null);
        ChainHeads.Stored c1 = sign(c0, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL));
        ChainHeads.Stored c3 = sign(c1, t, Instant.ofEpochMilli(SEALED).plus(INTERVAL.multipliedBy(2)));
        assertThat(c3.checkpoint().sequence()).isEqualTo(3);

        target.client().deleteObject(b -> b.bucket("archive").key(c1.key()));

        assertThat(ChainHeads.read(target, ENV, TRUST).problems()).anySatisfy(p -> assertThat(p)
                .contains(c1.key()).contains("missing between 0 and 3"));
    }

    @Test
    void theNewestAgeIsReported() {
        ChainHeads.Stored c0 = sign(null, new ChainHeads.Tracker(), Instant.ofEpochMilli(SEALED));
        assertThat(ChainHeads.read(target, ENV, TRUST).newestAge(Instant.ofEpochMilli(SEALED).plus(INTERVAL)))
                .isEqualTo(INTERVAL);
        assertThat(c0.checkpoint().previousSha256()).isNull();
    }
}
