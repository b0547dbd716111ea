package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.Classification;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The catalog read under a trust file, against a writer with the bucket's permissions but none of the services' signing
 * keys, and against a service signing what its role may not write: neither moves a segment off a key version, excuses
 * a gap or deletes anything.
 */
class SignedCatalogIT {
    private static final String ENV = "prod";
    private static final String DAY = "2026/01/01";
    private static final long SEALED = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static final SigningIdentity ARCHIVER = SigningIdentity.generate(Role.ARCHIVER, ENV);
    private static final SigningIdentity COORDINATOR = SigningIdentity.generate(Role.COORDINATOR, ENV);
    private static final SigningIdentity OPERATOR = SigningIdentity.generate(Role.OPERATOR, ENV);
    /** The attacker's own key: a valid signature, of a key no reader trusts. */
    private static final SigningIdentity STRANGER = SigningIdentity.generate(Role.COORDINATOR, ENV);
    private static final TrustFile TRUST = TrustFile.empty(ENV).with(ARCHIVER).with(COORDINATOR).with(OPERATOR);

    private EmbeddedS3 s3;
    private ArchiveTarget target;
    private final String a1 = String.format("%s/acme/changes/2026/01/01/p0/%020d-%020d-a1.srseg", ENV, 0, 9);

    @BeforeEach
    void start() {
        s3 = EmbeddedS3.start();
        s3.createBucket("archive");
        target = ArchiveTarget.over(s3.client(), "archive");
        target.putIfAbsent(a1, "segment".getBytes(StandardCharsets.UTF_8), "application/octet-stream", null);
        String key = ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, 0, 9);
        target.putIfAbsent(key, CatalogSignatures.seal(ARCHIVER, key, part(entry("1", null))), "application/json", null);
    }

    @AfterEach
    void stop() {
        target.close();
        s3.close();
    }

    private Manifests.Entry entry(String version, Long rewrappedAtMs) {
        return new Manifests.Entry("a1", a1, "changes", 0, 0, 9, 10, SEALED, SEALED, SEALED, null, "local://k", version, 5,
                "00", "00000000", Classification.PUBLIC.name(), rewrappedAtMs, null, null);
    }

    private static byte[] part(Manifests.Entry... entries) {
        return Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, ENV, "acme", DAY, List.of(entries)));
    }

    /** A rewrap part claiming a1 is on version 2 now, signed by {@code by} (null: unsigned). */
    private String rewrapPart(SigningIdentity by, long at) {
        String key = ArchiveLayout.rewrapKey(ENV, "acme", DAY, "a1", at);
        byte[] payload = part(entry("2", at));
        target.putIfAbsent(key, by == null ? payload : signedAnyway(by, key, payload), "application/json", null);
        return key;
    }

    /** Signs even where the role may not: what a compromised service host could do with its own key. */
    private static byte[] signedAnyway(SigningIdentity by, String key, byte[] payload) {
        String type = switch (ArchiveLayout.parse(key).kind()) {
            case REWRAP_PART -> "rewrap";
            case PRUNE_MARKER -> "prune-marker";
            default -> "manifest";
        };
        return Signed.sign(by, type, key, payload);
    }

    private ArchiveCatalog catalog() {
        return ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme"), TRUST);
    }

    @Test
    void theArchiversSignedManifestIsReadAndAuthenticated() {
        ArchiveCatalog catalog = catalog();

        assertThat(catalog.problems()).isEmpty();
        assertThat(catalog.authenticated()).isTrue();
        assertThat(catalog.current()).containsOnlyKeys(a1);
        assertThat(catalog.current().get(a1).keyVersion()).isEqualTo("1");
    }

    @Test
    void anUnsignedRewrapPartMovesNoSegmentOffItsVersionAndIsNamed() {
        String forged = rewrapPart(null, SEALED + 1);

        ArchiveCatalog catalog = catalog();

        assertThat(catalog.current().get(a1).keyVersion()).as("a1 still needs version 1").isEqualTo("1");
        assertThat(catalog.problems()).singleElement().asString().contains(forged).contains("unsigned");
        assertThat(ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme")).current().get(a1).keyVersion())
                .as("without a trust file the forgery wins: what the trust file is for").isEqualTo("2");
    }

    @Test
    void aRewrapPartSignedByAnUntrustedKeyOrByTheArchiverIsNotUsed() {
        String stranger = rewrapPart(STRANGER, SEALED + 1);
        String archiver = rewrapPart(ARCHIVER, SEALED + 2);

        ArchiveCatalog catalog = catalog();

        assertThat(catalog.current().get(a1).keyVersion()).isEqualTo("1");
        assertThat(catalog.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains(stranger).contains(STRANGER.keyId()))
                .anySatisfy(p -> assertThat(p).contains(archiver).contains("ARCHIVER"));
    }

    @Test
    void theCoordinatorsSignedRewrapPartIsHonoured() {
        rewrapPart(COORDINATOR, SEALED + 1);

        ArchiveCatalog catalog = catalog();

        assertThat(catalog.problems()).isEmpty();
        assertThat(catalog.current().get(a1).keyVersion()).isEqualTo("2");
    }

    @Test
    void aManifestPartMovedToAnotherNameIsNotUsed() {
        String elsewhere = ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, 10, 19);
        String original = ArchiveLayout.manifestKey(ENV, "acme", DAY, 0, 0, 9);
        target.putIfAbsent(elsewhere, target.get(original), "application/json", null);

        assertThat(catalog().problems()).singleElement().asString().contains(elsewhere);
    }

    @Test
    void aPruneMarkerNotSignedByAnOperatorExcusesNothingAndPruneDeletesNothingOnIt() {
        String unsigned = ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m1");
        String byArchiver = ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m2");
        byte[] marker = ("{\"formatVersion\":1,\"tenant\":\"acme\",\"by\":\"x\",\"prunedAtMs\":1,\"segments\":{\"a1\":\""
                + a1 + "\"}}").getBytes(StandardCharsets.UTF_8);
        target.putIfAbsent(unsigned, marker, "application/json", null);
        target.putIfAbsent(byArchiver, signedAnyway(ARCHIVER, byArchiver, marker), "application/json", null);

        ArchiveCatalog catalog = catalog();

        assertThat(catalog.pruned()).isEmpty();
        assertThat(catalog.current()).containsOnlyKeys(a1);
        assertThat(catalog.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains(unsigned))
                .anySatisfy(p -> assertThat(p).contains(byArchiver).contains("ARCHIVER"));
    }

    @Test
    void pruneUnderTrustSignsItsMarkerWithTheOperatorsKeyAndTheNextReadAcceptsIt() {
        RetentionPolicy policy = new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(1)), null);
        Retention.Result result = Retention.prune(List.of(target), ENV, List.of("acme"), policy,
                Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(2)), "operator:test", false, k -> { }, OPERATOR, TRUST);

        assertThat(result.expired()).containsExactly(a1);
        ArchiveCatalog after = catalog();
        assertThat(after.problems()).isEmpty();
        assertThat(after.pruned()).containsEntry("a1", a1);
        assertThat(after.current()).isEmpty();
    }

    @Test
    void theArchiversKeyCannotRecordARewrapNorRedateASegment() {
        // a compromised archiver host signs a second part for a1: "rewrapped" onto version 2, and sealed in 1970
        String rewrapClaim = ArchiveLayout.manifestKey(ENV, "acme", DAY, 1, 0, 9);
        target.putIfAbsent(rewrapClaim, CatalogSignatures.seal(ARCHIVER, rewrapClaim, part(entry("2", SEALED + 5))),
                "application/json", null);
        Manifests.Entry e = entry("1", null);
        String redate = ArchiveLayout.manifestKey(ENV, "acme", DAY, 2, 0, 9);
        target.putIfAbsent(redate, CatalogSignatures.seal(ARCHIVER, redate, part(new Manifests.Entry(e.segmentId(),
                e.objectKey(), e.stream(), e.sourcePartition(), e.firstOffset(), e.lastOffset(), e.recordCount(), 0, 0, 0,
                null, e.keyId(), e.keyVersion(), e.sizeBytes(), e.sha256(), e.bodyCrc32c(), e.classification(), null, null,
                null))), "application/json", null);

        ArchiveCatalog catalog = catalog();

        assertThat(catalog.current().get(a1).keyVersion()).as("still version 1").isEqualTo("1");
        assertThat(catalog.disputed()).containsExactly(a1);
        assertThat(catalog.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains(rewrapClaim).contains("only a rewrap part may record"))
                .anySatisfy(p -> assertThat(p).contains(redate).contains("contradicts"));
        RetentionPolicy policy = new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(1)), null);
        Retention.Result result = Retention.prune(List.of(target), ENV, List.of("acme"), policy,
                Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(2)), "operator:test", false, k -> { }, OPERATOR, TRUST);
        assertThat(result.expired()).as("a disputed segment is never pruned").isEmpty();
        assertThat(target.getIfPresent(a1)).isNotNull();
    }

    @Test
    void aRoleThatMayNotWriteAnObjectCannotSealIt() {
        String marker = ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m");
        assertThatThrownBy(() -> CatalogSignatures.seal(ARCHIVER, marker, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("may not sign " + marker);
    }
}
