package io.strongroom.bench;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.CatalogSignatures;
import io.strongroom.archive.Manifests;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What signing costs a manifest part: {@code encode} (the reference: the archiver's JSON of a part of {@code entries}
 * segments, as it wrote before signing) against {@code encodeAndSign} (the same, sealed in a signed envelope by the
 * archiver's Ed25519 identity) and {@code openVerified} (a reader's parse and signature check against a trust file).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CatalogSigningBenchmark {
    @Param({"1", "64", "512"})
    public int entries;

    private final SigningIdentity archiver = SigningIdentity.generate(Role.ARCHIVER, "bench");
    private final TrustFile trust = TrustFile.empty("bench").with(archiver);
    private final String key = ArchiveLayout.manifestKey("bench", "acme", "2026/01/01", 0, 0, 999);
    private Manifests.Part part;
    private byte[] sealed;

    @Setup
    public void setUp() {
        List<Manifests.Entry> list = new ArrayList<>();
        byte[] dek = new byte[120];
        for (int i = 0; i < entries; i++) {
            String id = UUID.randomUUID().toString();
            list.add(new Manifests.Entry(id, String.format("bench/acme/changes/2026/01/01/p0/%020d-%020d-%s.srseg", i * 10L,
                    i * 10L + 9, id), "changes", 0, i * 10L, i * 10L + 9, 10, 1L, 2L, 3L, null, "local://acme", "1",
                    262_144, "ab".repeat(32), "01234567", "RESTRICTED", null, "AES256_GCM", Base64.getEncoder().encodeToString(dek)));
        }
        part = new Manifests.Part(Manifests.FORMAT_VERSION, "bench", "acme", "2026/01/01", list);
        sealed = CatalogSignatures.seal(archiver, key, Manifests.encode(part));
    }

    @Benchmark
    public byte[] encode() {
        return Manifests.encode(part);
    }

    @Benchmark
    public byte[] encodeAndSign() {
        return CatalogSignatures.seal(archiver, key, Manifests.encode(part));
    }

    @Benchmark
    public Manifests.Part openVerified() {
        return Manifests.decode(key, CatalogSignatures.open(key, key, sealed, trust));
    }
}
