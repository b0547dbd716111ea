package io.strongroom.bench;

import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.testkit.SoftHsm;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Moving a 1 MiB segment from KEK version 1 to version 2: {@code rewrap} (unwrap the data key, wrap
 * it under version 2, rebuild the frame around the unchanged body) against the reference
 * {@code reencrypt} (unwrap, decrypt and authenticate the body, a fresh data key under version 2,
 * encrypt the body again). Object storage I/O is not included: both would read and write the object
 * once in today's rewrap (see BENCHMARKS.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RewrapBenchmark {
    @Param({"local", "pkcs11"})
    public String backend;

    private Kms kms;
    private String keyId;
    private Segment segment;
    private DekContext context;
    private final Duration timeout = Duration.ofSeconds(10);

    @Setup
    public void setUp() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-bench-rewrap-");
        kms = switch (backend) {
            case "local" -> TestKms.local(dir, true);
            case "pkcs11" -> Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, SoftHsm.token(), SoftHsm.PIN.toCharArray(),
                    dir, true));
            default -> throw new IllegalArgumentException(backend);
        };
        keyId = Kmses.await(kms.createKek("acme"), timeout);
        String id = "segment-1";
        context = new DekContext("bench", "acme", id);
        DataKey dek = Kmses.await(kms.generateDek(keyId, context), timeout);
        byte[] payload = new byte[1024 * 1024];
        new Random(1).nextBytes(payload);
        SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(Segment.FORMAT_VERSION)
                .setEnvironment("bench").setTenant("acme").setStream("strongroom.changes").setSourceTopic("strongroom.changes")
                .setSourcePartition(0).setFirstOffset(0).setLastOffset(999).setRecordCount(1).setMinEventTimeMs(1)
                .setMaxEventTimeMs(2).setSealedAtMs(3).setKeyId(dek.wrapped().keyId()).setKeyVersion(dek.wrapped().keyVersion())
                .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes())).setDekAlgorithm(dek.wrapped().algorithm());
        segment = SegmentCrypto.seal(h, List.of(payload), dek.aead(), io.strongroom.avro.Compression.NONE);
        Kmses.await(kms.rotate(keyId), timeout); // version 2 is primary: both benchmarks move the segment onto it
    }

    @TearDown
    public void tearDown() {
        kms.close();
    }

    /** The data key re-wrapped under version 2; the body is copied into the new frame, never decrypted. */
    @Benchmark
    public byte[] rewrap() {
        SegmentHeader h = segment.header();
        byte[] wrapped = new byte[h.getWrappedDek().remaining()];
        h.getWrappedDek().duplicate().get(wrapped);
        var keyset = Kmses.await(kms.unwrapDekKeyset(new WrappedDek(h.getKeyId(), h.getKeyVersion(), h.getDekAlgorithm(), wrapped),
                context), timeout);
        WrappedDek fresh = Kmses.await(kms.wrapDek(keyId, keyset, context), timeout);
        SegmentHeader next = SegmentHeader.newBuilder(h).setKeyVersion(fresh.keyVersion())
                .setWrappedDek(ByteBuffer.wrap(fresh.bytes())).build();
        return new Segment(next, segment.body()).toBytes();
    }

    /** Reference: decrypt the body and encrypt it again under a fresh data key wrapped by version 2. */
    @Benchmark
    public byte[] reencrypt() {
        List<byte[]> records = new SegmentOpener(kms, timeout).open("bench", segment);
        DataKey dek = Kmses.await(kms.generateDek(keyId, context), timeout);
        SegmentHeader h = segment.header();
        SegmentHeader.Builder next = SegmentHeader.newBuilder(h).setKeyVersion(dek.wrapped().keyVersion())
                .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes()));
        return SegmentCrypto.seal(next, records, dek.aead(), io.strongroom.avro.Compression.NONE).toBytes();
    }
}
