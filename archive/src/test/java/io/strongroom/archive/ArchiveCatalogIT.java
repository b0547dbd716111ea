package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.Classification;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.testkit.EmbeddedS3;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The catalog against a writer of manifest parts and prune markers (anyone with the archiver's S3 permissions): an
 * entry or a marker that names an object outside its own tenant's prefix is a named problem, never an entry, so a
 * prune of one tenant deletes nothing of another.
 */
class ArchiveCatalogIT {
    private static final String ENV = "prod";
    private static final long SEALED = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
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

    /** A segment object's name for {@code tenant}. */
    private static String segmentKey(String tenant, String id, long first) {
        return String.format("%s/%s/changes/2026/01/01/p0/%020d-%020d-%s.srseg", ENV, tenant, first, first + 9, id);
    }

    private static Manifests.Entry entry(String id, String objectKey, Classification c) {
        return new Manifests.Entry(id, objectKey, "changes", 0, 0, 9, 10, SEALED, SEALED, SEALED, null, "local://k", "1", 5,
                "00", "00000000", c.name(), null, null, null);
    }

    private void put(String key, byte[] bytes) {
        assertThat(target.putIfAbsent(key, bytes, "application/octet-stream", null)).isEqualTo(ArchiveTarget.Put.CREATED);
    }

    private void manifest(String tenant, List<Manifests.Entry> entries) {
        put(ArchiveLayout.manifestKey(ENV, tenant, "2026/01/01", 0, 0, 9),
                Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, ENV, tenant, "2026/01/01", entries)));
    }

    private List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket("archive").prefix(prefix)).contents()) {
            keys.add(o.key());
        }
        return keys;
    }

    @Test
    void aManifestEntryPointingIntoAnotherTenantsPrefixIsAProblemAndPruneLeavesThatTenantAlone() {
        String acme = segmentKey("acme", "a1", 0);
        String globex = segmentKey("globex", "g1", 0);
        put(acme, "acme".getBytes(StandardCharsets.UTF_8));
        put(globex, "globex".getBytes(StandardCharsets.UTF_8));
        manifest("globex", List.of(entry("g1", globex, Classification.RESTRICTED))); // kept for ten years
        // the attacker's part under acme: its own segment, and globex's as if it were acme's, both PUBLIC (expired)
        manifest("acme", List.of(entry("a1", acme, Classification.PUBLIC), entry("g1", globex, Classification.PUBLIC)));

        ArchiveCatalog catalog = ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme"));

        assertThat(catalog.current()).containsOnlyKeys(acme);
        assertThat(catalog.problems()).singleElement().asString()
                .contains(ArchiveLayout.manifestKey(ENV, "acme", "2026/01/01", 0, 0, 9))
                .contains("segment g1").contains(globex).contains("outside tenant acme's prefix");

        RetentionPolicy policy = new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(1),
                Classification.RESTRICTED, Duration.ofDays(3650)), null);
        Retention.Result result = Retention.prune(List.of(target), ENV, List.of("acme"), policy,
                Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(2)), "operator:test", false, k -> { });

        assertThat(result.expired()).containsExactly(acme);
        assertThat(keys(ArchiveLayout.tenantPrefix(ENV, "globex"))).as("nothing of globex is deleted").contains(globex);
        assertThat(keys(ArchiveLayout.tenantPrefix(ENV, "acme"))).doesNotContain(acme);
    }

    @Test
    void anEntryNamingAnotherSegmentsObjectOrANonSegmentIsAProblem() {
        String a1 = segmentKey("acme", "a1", 0);
        String a2 = segmentKey("acme", "a2", 10);
        manifest("acme", List.of(entry("a1", a2, Classification.PUBLIC),
                entry("a3", ArchiveLayout.holdKey(ENV, "acme", "h"), Classification.PUBLIC)));

        ArchiveCatalog catalog = ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme"));

        assertThat(catalog.entries()).isEmpty();
        assertThat(catalog.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("the object of segment a2, not a1"))
                .anySatisfy(p -> assertThat(p).contains("not a segment's name"));
        assertThat(a1).isNotEqualTo(a2);
    }

    @Test
    void aPruneMarkerCannotExcuseAnotherTenantsSegment() {
        String globex = segmentKey("globex", "g1", 0);
        put(ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m"), ("{\"formatVersion\":1,\"tenant\":\"acme\",\"by\":\"x\","
                + "\"prunedAtMs\":1,\"segments\":{\"g1\":\"" + globex + "\"}}").getBytes(StandardCharsets.UTF_8));

        ArchiveCatalog catalog = ArchiveCatalog.read(target, ArchiveLayout.environmentPrefix(ENV));

        assertThat(catalog.pruned()).isEmpty();
        assertThat(catalog.problems()).singleElement().asString().contains("prune marker names " + globex);
    }

    @Test
    void aCatalogObjectOfAnotherFormatOrWithoutItsListIsANamedProblemNotACrash() {
        // signed by a trusted operator: well-formed envelopes whose payloads this version cannot use
        var operator = SigningIdentity.generate(Role.OPERATOR, ENV);
        String newer = ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m1");
        put(newer, CatalogSignatures.seal(operator, newer,
                "{\"formatVersion\":2,\"tenant\":\"acme\",\"segments\":{}}".getBytes(StandardCharsets.UTF_8)));
        String empty = ArchiveLayout.prunedKey(ENV, "acme", SEALED, "m2");
        put(empty, CatalogSignatures.seal(operator, empty,
                "{\"formatVersion\":1,\"tenant\":\"acme\"}".getBytes(StandardCharsets.UTF_8)));
        String attestation = ArchiveLayout.attestationKey(ENV, "acme", SEALED, "a1");
        put(attestation, CatalogSignatures.seal(operator, attestation,
                "{\"formatVersion\":1,\"tenant\":\"acme\",\"by\":\"op\",\"attestedAtMs\":1}".getBytes(StandardCharsets.UTF_8)));

        ArchiveCatalog c = ArchiveCatalog.read(target, ArchiveLayout.tenantPrefix(ENV, "acme"),
                TrustFile.empty(ENV).with(operator));

        assertThat(c.problems()).anySatisfy(p -> assertThat(p).contains(newer).contains("format 2 is not 1"))
                .anySatisfy(p -> assertThat(p).contains(empty).contains("without segments"))
                .anySatisfy(p -> assertThat(p).contains(attestation).contains("without objects"));
        assertThat(c.pruned()).isEmpty();
    }

    @Test
    void theConditionalPutNeverOverwrites() {
        String key = segmentKey("acme", "a1", 0);
        put(key, "first".getBytes(StandardCharsets.UTF_8));

        assertThat(target.putIfAbsent(key, "second".getBytes(StandardCharsets.UTF_8), "application/octet-stream", null))
                .isEqualTo(ArchiveTarget.Put.ALREADY_PRESENT);
        assertThat(new String(target.get(key), StandardCharsets.UTF_8)).isEqualTo("first");
    }
}
