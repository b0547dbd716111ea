package io.strongroom.bench;

import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.Manifests;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.S3Settings;
import io.strongroom.avro.Compression;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.SoftHsm;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Rewrap of an archive against re-encrypting the same archive, end to end against S3Proxy, in one run:
 * N segments of 1 MiB (incompressible) of one tenant are archived (objects and manifest parts, as
 * the archiver writes them). Then, alternately, the tenant's KEK is rotated and (A) {@code Rewrap}
 * moves every segment onto the new primary as {@code strongroom keys rewrap} does (data keys only,
 * recorded in the manifests, no object moved), or (B) the reference re-encrypts every segment: GET
 * the object, unwrap its data key, decrypt and authenticate the body, seal it again under a fresh
 * data key wrapped by the new primary, PUT it back, and record the new entries in manifest parts the
 * same way. The result is the median of the per-round ratios A/B in segments per second. A third
 * line measures {@code --rewrite-objects} (the object rewritten with the new key in its header).
 *
 * <pre>java -cp bench/target/benchmarks.jar io.strongroom.bench.RewrapHarness local|pkcs11 [segments] [rounds]</pre>
 *
 * (pkcs11 needs {@code SOFTHSM2_CONF} set to a writable path, e.g. {@code /tmp/bench-softhsm/softhsm2.conf}.)
 */
public final class RewrapHarness {
    private static final String ENV = "bench";
    private static final String TENANT = "acme";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RewrapHarness() {}

    public static void main(String[] args) throws Exception {
        String backend = args.length > 0 ? args[0] : "local";
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("strongroom-rewrap-bench-");
        try (ManagedKms kms = switch (backend) {
                    case "local" -> TestKms.local(dir.resolve("kms"), true);
                    case "pkcs11" -> Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, SoftHsm.token(),
                            SoftHsm.PIN.toCharArray(), dir.resolve("kms"), true));
                    default -> throw new IllegalArgumentException("backend must be local or pkcs11, got " + backend);
                };
                EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), true)) {
            s3.createBucket("archive");
            ArchiveTarget target = ArchiveTarget.of(new S3Settings(s3.endpoint().toString(), EmbeddedS3.REGION, "archive",
                    EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, null));
            String keyId = Kmses.await(kms.createKek(TENANT), TIMEOUT);
            archive(target, kms, keyId, count);
            System.out.printf("%s backend, %,d segments of 1 MiB archived%n", backend, count);
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r <= rounds; r++) { // round 0 warms up both and is not counted
                Kmses.await(kms.rotate(keyId), TIMEOUT);
                long start = System.nanoTime();
                Rewrap.Result done = Rewrap.run(List.of(target), ENV, TENANT, kms, kms, keyId, TIMEOUT, Rewrap.Mode.MANIFEST,
                        (d, t) -> { });
                double a = done.rewrapped() / ((System.nanoTime() - start) / 1e9);
                Kmses.await(kms.rotate(keyId), TIMEOUT);
                start = System.nanoTime();
                int reencrypted = reencrypt(target, kms, keyId);
                double b = reencrypted / ((System.nanoTime() - start) / 1e9);
                if (done.rewrapped() != count || reencrypted != count) {
                    throw new IllegalStateException("moved " + done.rewrapped() + " and " + reencrypted + " of " + count);
                }
                if (r > 0) {
                    System.out.printf("round %d: rewrap %,.0f segments/s, re-encrypt %,.1f segments/s, ratio %.1f%n", r, a, b, a / b);
                    ratios.add(a / b);
                }
            }
            Kmses.await(kms.rotate(keyId), TIMEOUT);
            long start = System.nanoTime();
            Rewrap.Result objects = Rewrap.run(List.of(target), ENV, TENANT, kms, kms, keyId, TIMEOUT, Rewrap.Mode.OBJECT, (d, t) -> { });
            System.out.printf("rewrap --rewrite-objects: %,.1f segments/s%n", objects.rewrapped() / ((System.nanoTime() - start) / 1e9));
            Collections.sort(ratios);
            System.out.printf("median ratio rewrap/re-encrypt over %d rounds: %.1f%n", ratios.size(), ratios.get(ratios.size() / 2));
            target.close();
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    /** Writes {@code count} sealed 1 MiB segments and one manifest part, as the archiver would. */
    private static void archive(ArchiveTarget target, ManagedKms kms, String keyId, int count) {
        Random random = new Random(11);
        Map<String, List<Manifests.Entry>> byDay = new TreeMap<>();
        String predecessor = null;
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[1024 * 1024];
            random.nextBytes(payload);
            String id = UUID.randomUUID().toString();
            DataKey dek = Kmses.await(kms.generateDek(keyId, new DekContext(ENV, TENANT, id)), TIMEOUT);
            SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(Segment.FORMAT_VERSION)
                    .setEnvironment(ENV).setTenant(TENANT).setStream("strongroom.changes").setSourceTopic("strongroom.changes")
                    .setSourcePartition(0).setFirstOffset(10L * i).setLastOffset(10L * i + 9).setRecordCount(1)
                    .setMinEventTimeMs(1).setMaxEventTimeMs(2).setSealedAtMs(1_767_225_600_000L + i)
                    .setPredecessorSegmentId(predecessor).setKeyId(dek.wrapped().keyId())
                    .setKeyVersion(dek.wrapped().keyVersion()).setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes()))
                    .setDekAlgorithm(dek.wrapped().algorithm());
            Segment segment = SegmentCrypto.seal(h, List.of(payload), dek.aead(), Compression.NONE);
            byte[] bytes = segment.toBytes();
            String key = ArchiveLayout.segmentKey(segment.header());
            target.client().putObject(b -> b.bucket(target.bucket()).key(key), RequestBody.fromBytes(bytes));
            byDay.computeIfAbsent(ArchiveLayout.day(segment.header().getSealedAtMs()), d -> new ArrayList<>())
                    .add(Manifests.Entry.of(segment.header(), key, bytes.length, Segment.sha256(bytes)));
            predecessor = id;
        }
        byDay.forEach((day, entries) -> {
            byte[] part = Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, ENV, TENANT, day, entries));
            target.client().putObject(b -> b.bucket(target.bucket()).key(ArchiveLayout.manifestKey(ENV, TENANT, day, 0, 0, entries.size() - 1)),
                    RequestBody.fromBytes(part));
        });
    }

    /**
     * The reference: every segment decrypted and encrypted again under a fresh data key wrapped by the primary, the
     * object replaced, and the new entries recorded in one manifest part (what a re-encrypting tool must do).
     */
    private static int reencrypt(ArchiveTarget target, ManagedKms kms, String keyId) {
        SegmentOpener opener = new SegmentOpener(kms, TIMEOUT);
        Map<String, Manifests.Entry> current = new TreeMap<>();
        for (var o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(ArchiveLayout.manifestsPrefix(ENV, TENANT))).contents()) {
            Manifests.read(target, o.key()).segments().forEach(e -> current.merge(e.objectKey(), e, Manifests::newer));
        }
        List<Manifests.Entry> fresh = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Manifests.Entry entry : current.values()) {
            String key = entry.objectKey();
            Segment segment = Segment.parse(key, target.client().getObjectAsBytes(b -> b.bucket(target.bucket()).key(key))
                    .asByteArray());
            if (entry.wrappedDekBytes() != null) {
                segment = segment.withKey(ArchiveReader.dek(entry));
            }
            List<byte[]> records = opener.open(key, segment);
            SegmentHeader h = segment.header();
            DataKey dek = Kmses.await(kms.generateDek(keyId, new DekContext(ENV, TENANT, h.getSegmentId())), TIMEOUT);
            SegmentHeader.Builder next = SegmentHeader.newBuilder(h).setKeyId(dek.wrapped().keyId())
                    .setKeyVersion(dek.wrapped().keyVersion()).setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes()))
                    .setDekAlgorithm(dek.wrapped().algorithm());
            Segment sealed = SegmentCrypto.seal(next, records, dek.aead(), Compression.NONE);
            byte[] bytes = sealed.toBytes();
            target.client().putObject(b -> b.bucket(target.bucket()).key(key), RequestBody.fromBytes(bytes));
            fresh.add(Manifests.rewrapped(entry, sealed.header(), bytes, now++));
        }
        String day = ArchiveLayout.day(fresh.get(0).sealedAtMs());
        byte[] part = Manifests.encode(new Manifests.Part(Manifests.FORMAT_VERSION, ENV, TENANT, day, fresh));
        String partKey = ArchiveLayout.rewrapKey(ENV, TENANT, day, "reencrypt", now);
        target.client().putObject(b -> b.bucket(target.bucket()).key(partKey), RequestBody.fromBytes(part));
        return fresh.size();
    }
}
