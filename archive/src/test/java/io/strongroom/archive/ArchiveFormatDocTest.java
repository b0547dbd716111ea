package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.SignatureConfig;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.TrustFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Keeps {@code docs/archive-format.md} honest: every kind of object name is documented, and its examples — objects as
 * the real writers stored them — are read by the real readers (the catalog, retention, chain heads), verified with the
 * trust file the document prints. A format change without a change of the document fails here.
 *
 * <p>The document's fenced blocks this reads, by info string: {@code json object NAME} (the bytes stored at NAME),
 * {@code base64 object NAME} (a binary object, MIME base64), {@code json payload} (the decoded payload of the signed
 * object before it) and {@code json trust-file}.
 */
class ArchiveFormatDocTest {
    private static final Path DOC = Path.of("../docs/archive-format.md");
    /** Kinds that have no example: not JSON of ours (quarantine), another format's (audit), or anything else. */
    private static final Set<ArchiveLayout.Kind> WITHOUT_EXAMPLE =
            EnumSet.of(ArchiveLayout.Kind.QUARANTINED, ArchiveLayout.Kind.AUDIT, ArchiveLayout.Kind.OTHER);

    private record Block(String info, String text, int line) {
        String where() {
            return DOC + " line " + line;
        }
    }

    private static String doc;
    /** The example objects, by name, as stored. */
    private static final Map<String, byte[]> objects = new TreeMap<>();
    /** The payload block after each signed example, by the example's name. */
    private static final Map<String, String> payloads = new LinkedHashMap<>();
    private static TrustFile trust;

    @BeforeAll
    static void read(@TempDir Path dir) throws IOException {
        doc = Files.readString(DOC);
        String last = null;
        for (Block b : fencedBlocks(doc)) {
            String[] info = b.info().split("\\s+");
            if (info.length == 3 && info[1].equals("object")) {
                byte[] bytes = info[0].equals("base64") ? Base64.getMimeDecoder().decode(b.text())
                        : b.text().getBytes(StandardCharsets.UTF_8);
                assertThat(objects.put(info[2], bytes)).as("%s: a second example of %s", b.where(), info[2]).isNull();
                last = info[2];
            } else if (b.info().equals("json payload")) {
                assertThat(last).as("%s: a payload block with no object before it", b.where()).isNotNull();
                assertThat(payloads.put(last, b.text())).as("%s: a second payload of %s", b.where(), last).isNull();
            } else if (b.info().equals("json trust-file")) {
                Path file = dir.resolve("trust.json");
                Files.writeString(file, b.text());
                trust = TrustFile.load(file);
            }
        }
        assertThat(trust).as("%s has no json trust-file block", DOC).isNotNull();
    }

    /** The fenced blocks of {@code markdown}: info string and content (lines joined by LF, no final LF). */
    private static List<Block> fencedBlocks(String markdown) {
        List<Block> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("```")) {
                continue;
            }
            int start = i + 1;
            int end = start;
            while (end < lines.length && !lines[end].startsWith("```")) {
                end++;
            }
            assertThat(end).as("%s line %d: a fenced block that is never closed", DOC, i + 1).isLessThan(lines.length);
            out.add(new Block(lines[i].substring(3).trim(), String.join("\n", List.of(lines).subList(start, end)), i + 1));
            i = end;
        }
        return out;
    }

    private static Map<String, byte[]> objectsOf(ArchiveLayout.Kind kind) {
        Map<String, byte[]> of = new TreeMap<>();
        objects.forEach((name, bytes) -> {
            if (ArchiveLayout.parse(name).kind() == kind) {
                of.put(name, bytes);
            }
        });
        return of;
    }

    @Test
    void everyKindOfObjectNameHasARowInTheTableOfObjects() {
        for (ArchiveLayout.Kind kind : ArchiveLayout.Kind.values()) {
            assertThat(doc).as("%s documents no ArchiveLayout.Kind %s (a table row starting \"| `%s` |\")", DOC, kind, kind)
                    .containsPattern("(?m)^\\| `" + kind + "` \\|");
        }
    }

    @Test
    void everyKindOfCatalogObjectHasAStoredExampleWhoseNameIsOfThatKind() {
        Set<ArchiveLayout.Kind> exampled = objects.keySet().stream().map(n -> ArchiveLayout.parse(n).kind())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ArchiveLayout.Kind.class)));
        assertThat(exampled).as("kinds of the examples' names in %s", DOC)
                .isEqualTo(EnumSet.complementOf(EnumSet.copyOf(WITHOUT_EXAMPLE)));
    }

    @Test
    void everySignedExampleVerifiesAgainstTheTrustFileAndItsPayloadBlockIsExactlyWhatIsSigned() {
        int signed = 0;
        for (Map.Entry<String, byte[]> o : objects.entrySet()) {
            if (!Signed.isEnvelope(o.getValue())) {
                continue;
            }
            signed++;
            String name = o.getKey();
            byte[] payload = CatalogSignatures.open(DOC + " example " + name, name, o.getValue(), trust);
            assertThat(payloads).as("%s: the signed example %s has no json payload block after it", DOC, name)
                    .containsKey(name);
            assertThat(payloads.get(name)).as("%s: the payload block of %s", DOC, name)
                    .isEqualTo(new String(payload, StandardCharsets.UTF_8));
        }
        assertThat(signed).as("signed examples").isEqualTo(payloads.size()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void everySignatureCoversExactlyTheByteStringTheDocumentDescribes() throws Exception {
        SignatureConfig.register();
        ObjectMapper json = new ObjectMapper();
        Map<String, String> keysets = trust.keys().stream()
                .collect(Collectors.toMap(TrustFile.Key::keyId, TrustFile.Key::publicKeyset));
        for (Map.Entry<String, byte[]> o : objects.entrySet()) {
            if (!Signed.isEnvelope(o.getValue())) {
                continue;
            }
            JsonNode e = json.readTree(o.getValue());
            // as "What is signed" says: seven length-prefixed UTF-8 fields, then the payload
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            for (String field : List.of("strongroom-signed-v1", e.get("type").asText(), e.get("environment").asText(),
                    e.get("context").asText(), e.get("role").asText(), e.get("keyId").asText(),
                    Long.toString(e.get("signedAtMs").asLong()))) {
                byte[] b = field.getBytes(StandardCharsets.UTF_8);
                message.write(ByteBuffer.allocate(4).putInt(b.length).array());
                message.write(b);
            }
            message.write(Base64.getDecoder().decode(e.get("payload").asText()));
            byte[] signature = Base64.getDecoder().decode(e.get("signature").asText());
            assertThat(signature).as("%s: 0x01, 4-byte Tink key id, 64-byte Ed25519 signature", o.getKey()).hasSize(69)
                    .startsWith((byte) 1);
            TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(keysets.get(e.get("keyId").asText()))
                    .getPrimitive(RegistryConfiguration.get(),
                            PublicKeyVerify.class)
                    .verify(signature, message.toByteArray()); // throws if the document's description is wrong
        }
    }

    @Test
    void theExamplesAreOneCatalogThatTheRealReadersAcceptUnderTheTrustFile() {
        ArchiveTarget target = ArchiveTarget.over(new InMemoryBucket(objects), "doc");
        String environment = trust.environment();
        String tenant = onlyTenant();
        String prefix = ArchiveLayout.tenantPrefix(environment, tenant);

        ArchiveCatalog catalog = ArchiveCatalog.read(target, prefix, trust);
        ChainHeads.History heads = ChainHeads.read(target, environment, trust);

        assertThat(catalog.problems()).as("problems of the catalog in %s", DOC).isEmpty();
        assertThat(catalog.authenticated()).isTrue();
        List<Manifests.Entry> listed = new ArrayList<>();
        for (ArchiveLayout.Kind kind : List.of(ArchiveLayout.Kind.MANIFEST_PART, ArchiveLayout.Kind.REWRAP_PART)) {
            objectsOf(kind).forEach((name, bytes) -> listed.addAll(
                    Manifests.decode(name, Signed.unverifiedPayload(name, bytes)).segments()));
        }
        assertThat(catalog.entries().keySet()).as("segments the example parts list")
                .isEqualTo(listed.stream().map(Manifests.Entry::objectKey).collect(Collectors.toSet()));
        objectsOf(ArchiveLayout.Kind.PRUNE_MARKER).forEach((name, bytes) -> assertThat(catalog.pruned())
                .containsAllEntriesOf(Retention.readPruned(name, Signed.unverifiedPayload(name, bytes)).segments()));
        assertThat(catalog.pruned()).isNotEmpty();
        assertThat(Retention.holds(target, environment, tenant)).hasSize(objectsOf(ArchiveLayout.Kind.LEGAL_HOLD).size());
        assertThat(heads.problems()).as("problems of the chain-head checkpoints in %s", DOC).isEmpty();
        assertThat(heads.checkpoints()).hasSize(objectsOf(ArchiveLayout.Kind.CHAIN_HEADS).size());
        assertThat(ChainHeads.missing(target, catalog, heads.newest(), prefix)).as("what the newest checkpoint signed").isEmpty();
    }

    @Test
    void anUnsignedLegacyExampleIsAcceptedOnlyThroughItsAttestation() {
        Map<String, byte[]> unsigned = new TreeMap<>(objects);
        unsigned.values().removeIf(Signed::isEnvelope);
        unsigned.keySet().removeIf(n -> ArchiveLayout.parse(n).kind() == ArchiveLayout.Kind.SEGMENT);
        assertThat(unsigned).as("unsigned catalog examples in %s", DOC).isNotEmpty();
        Map<String, byte[]> withoutAttestations = new TreeMap<>(objects);
        withoutAttestations.keySet().removeAll(objectsOf(ArchiveLayout.Kind.ATTESTATION).keySet());

        ArchiveCatalog catalog = ArchiveCatalog.read(ArchiveTarget.over(new InMemoryBucket(withoutAttestations), "doc"),
                ArchiveLayout.tenantPrefix(trust.environment(), onlyTenant()), trust);

        assertThat(catalog.problems()).hasSize(unsigned.size()).allSatisfy(p -> assertThat(p)
                .contains("unsigned (written before signed format 1"));
        unsigned.keySet().forEach(n -> assertThat(catalog.problems()).anySatisfy(p -> assertThat(p).contains(n)));
    }

    @Test
    void theExampleSegmentLiesAtItsHeadersNameAndIsTheOneTheArchiversEntryDescribes() {
        Map<String, byte[]> segments = objectsOf(ArchiveLayout.Kind.SEGMENT);
        assertThat(segments).isNotEmpty();
        Map<String, Manifests.Entry> archived = new TreeMap<>();
        objectsOf(ArchiveLayout.Kind.MANIFEST_PART).forEach((name, bytes) -> Manifests.decode(name,
                Signed.unverifiedPayload(name, bytes)).segments().forEach(e -> archived.put(e.objectKey(), e)));
        segments.forEach((name, bytes) -> {
            Segment segment = Segment.parse(DOC + " example " + name, bytes);
            assertThat(ArchiveLayout.segmentKey(segment.header())).isEqualTo(name);
            assertThat(archived).as("the archiver's manifest entry of %s", name)
                    .containsEntry(name, Manifests.Entry.of(segment.header(), name, bytes.length, Segment.sha256(bytes)));
        });
    }

    private static String onlyTenant() {
        Set<String> tenants = objects.keySet().stream().map(ArchiveLayout::parse).map(ArchiveLayout.Name::tenant)
                .filter(t -> t != null).collect(Collectors.toSet());
        assertThat(tenants).as("tenants of the examples in %s", DOC).hasSize(1);
        return tenants.iterator().next();
    }

    /** A bucket holding {@code objects}, read only: what the readers list and get, without an S3 server. */
    private static final class InMemoryBucket implements S3Client {
        private final Map<String, byte[]> objects;

        InMemoryBucket(Map<String, byte[]> objects) {
            this.objects = new TreeMap<>(objects);
        }

        @Override
        public ListObjectsV2Response listObjectsV2(ListObjectsV2Request request) {
            String prefix = request.prefix() == null ? "" : request.prefix();
            List<S3Object> contents = objects.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(e -> S3Object.builder().key(e.getKey()).size((long) e.getValue().length)
                            .lastModified(Instant.EPOCH).build())
                    .toList();
            return ListObjectsV2Response.builder().contents(contents).keyCount(contents.size()).isTruncated(false).build();
        }

        @Override
        public <T> T getObject(GetObjectRequest request, ResponseTransformer<GetObjectResponse, T> transformer) {
            byte[] bytes = objects.get(request.key());
            if (bytes == null) {
                throw NoSuchKeyException.builder().message(request.key()).build();
            }
            try {
                return transformer.transform(GetObjectResponse.builder().contentLength((long) bytes.length).build(),
                        AbortableInputStream.create(new ByteArrayInputStream(bytes)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String serviceName() {
            return SERVICE_NAME;
        }

        @Override
        public void close() {}
    }
}
