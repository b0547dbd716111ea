package io.strongroom.bench;

import com.google.crypto.tink.Aead;
import io.strongroom.avro.Compression;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.testkit.CdcGenerator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
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
 * Seal + open of a 1 MiB segment, against the reference: raw JCE AES-256-GCM encrypt + decrypt of
 * the same 1 MiB. Throughput in operations per second; one operation = 1 MiB sealed and opened.
 *
 * <p>The records are Debezium JSON change events from the CDC generator, about 1 MiB of them.
 * {@code segment} includes what a segment adds to the AEAD: batching the records, the header, the
 * AAD, the body CRC32C (keyless integrity), serializing and parsing. {@code compression=ZSTD} adds
 * zstd level 3, as the encryptor does. {@code tinkAesGcm}, {@code sha256} and {@code crc32c} break
 * the cost down.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SegmentSealBenchmark {
    private static final int MIB = 1024 * 1024;

    @Param({"NONE", "ZSTD"})
    public String compression;

    private byte[] plaintext;
    private List<byte[]> records;
    private SecretKey jceKey;
    private Aead dek;
    private Aead tink;
    private final SecureRandom random = new SecureRandom();

    @Setup
    public void setUp() throws Exception {
        // real CDC events (Debezium JSON from the generator) so compression behaves as on production data
        records = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream(MIB);
        var generator = new CdcGenerator(CdcGenerator.Options.of(100_000, "acme", "globex"));
        for (var r : generator) {
            if (r.value() == null) {
                continue;
            }
            if (all.size() + 4 + r.value().length > MIB) {
                break;
            }
            records.add(r.value());
            all.write(new byte[4], 0, 4); // the batch's length prefix
            all.write(r.value(), 0, r.value().length);
        }
        plaintext = all.toByteArray();
        KeyGenerator kg = KeyGenerator.getInstance("AES");
        kg.init(256);
        jceKey = kg.generateKey();
        var keyset = DataKeys.generate();
        dek = DataKeys.aead(keyset);
        tink = DataKeys.tinkAead(keyset);
    }

    /** Reference: raw JCE AES-256-GCM, encrypt then decrypt 1 MiB. */
    @Benchmark
    public byte[] jceAesGcm() throws Exception {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        Cipher enc = Cipher.getInstance("AES/GCM/NoPadding");
        enc.init(Cipher.ENCRYPT_MODE, jceKey, new GCMParameterSpec(128, iv));
        enc.updateAAD(iv);
        byte[] ct = enc.doFinal(plaintext);
        Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
        dec.init(Cipher.DECRYPT_MODE, jceKey, new GCMParameterSpec(128, iv));
        dec.updateAAD(iv);
        return dec.doFinal(ct);
    }

    /** Breakdown: Tink's own AES-256-GCM primitive, encrypt then decrypt 1 MiB. */
    @Benchmark
    public byte[] tinkAesGcm() throws Exception {
        return tink.decrypt(tink.encrypt(plaintext, new byte[16]), new byte[16]);
    }

    /** Breakdown: the data-key AEAD ({@code AesGcmDek}), encrypt then decrypt 1 MiB. */
    @Benchmark
    public byte[] dekAesGcm() throws Exception {
        return dek.decrypt(dek.encrypt(plaintext, new byte[16]), new byte[16]);
    }

    /** Breakdown: batching the records into one buffer and cutting it up again. */
    @Benchmark
    public int batchAndSplit() {
        int size = 0;
        for (byte[] r : records) {
            size += 4 + r.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] r : records) {
            out.putInt(r.length).put(r);
        }
        out.flip();
        int n = 0;
        while (out.hasRemaining()) {
            int len = out.getInt();
            out.slice(out.position(), len);
            out.position(out.position() + len);
            n++;
        }
        return n;
    }

    /** Breakdown: SHA-256 of 1 MiB. */
    @Benchmark
    public byte[] sha256() {
        return Segment.sha256(plaintext);
    }

    /** Breakdown: CRC32C of 1 MiB. */
    @Benchmark
    public long crc32c() {
        CRC32C crc = new CRC32C();
        crc.update(plaintext);
        return crc.getValue();
    }

    /** Strongroom: seal a 1 MiB batch into a segment, serialize, parse, check and open it. */
    @Benchmark
    public List<ByteBuffer> segment() {
        SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId("bench").setFormatVersion(Segment.FORMAT_VERSION)
                .setEnvironment("bench").setTenant("acme").setStream("s").setSourceTopic("t").setSourcePartition(0)
                .setFirstOffset(0).setLastOffset(records.size() - 1).setRecordCount(records.size())
                .setMinEventTimeMs(0).setMaxEventTimeMs(0).setSealedAtMs(0).setKeyId("local://acme").setKeyVersion("1")
                .setWrappedDek(ByteBuffer.allocate(100)).setDekAlgorithm(DataKeys.ALGORITHM);
        byte[] bytes = SegmentCrypto.seal(h, records, dek, Compression.valueOf(compression)).toBytes();
        return SegmentCrypto.openViews("bench", Segment.parse("bench", bytes), dek);
    }
}
