package io.strongroom.crypto.audit;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * What making an audit event durable costs a key operation: {@link KafkaAuditTrail#record} (hash
 * chain, append to the emitter's spool, group-committed {@code fsync}) with a producer that
 * acknowledges at once, so only the spool is measured; against {@code chainOnly}, the hash chain
 * alone (what the old trail did on the caller's thread before handing the event to the producer).
 * Run with {@code -t 1} and {@code -t 8} to see the group commit: concurrent callers share an fsync.
 * The spool sits in {@code java.io.tmpdir} unless {@code -Dbench.spool.dir} names a directory on the
 * disk that would hold the service's data directory.
 *
 * <p>{@code signing} (issue 19): {@code none} is the unsigned chain; {@code 1} signs a head after
 * every event (Ed25519 through Tink, one more event on the chain, in the same fsync); {@code 1000}
 * signs every 1,000 events (the default). {@code signHead} is one signed head alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class AuditRecordBenchmark {
    private static final AuditRecord RECORD = new AuditRecord("encryptor", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS,
            "acme", "local://acme", "1", "segment-0001", null);

    private Path dir;
    private MockProducer<String, byte[]> producer;
    private KafkaAuditTrail trail;
    private HashChain chain;
    private HashChain headChain;
    private SigningIdentity identity;

    @Param({"none", "1", "1000"})
    public String signing;

    @Setup
    public void setUp() throws Exception {
        Path base = Path.of(System.getProperty("bench.spool.dir", System.getProperty("java.io.tmpdir")));
        dir = Files.createTempDirectory(base, "strongroom-bench-spool-");
        producer = new MockProducer<>(true, null, Topics.AUDIT.keySerde().serializer(),
                new ByteArraySerializer());
        identity = SigningIdentity.generate(Role.ENCRYPTOR, "bench");
        AuditSigning sign = signing.equals("none") ? null
                : new AuditSigning(identity, Integer.parseInt(signing), Duration.ofHours(1));
        trail = new KafkaAuditTrail(producer, "bench", 100_000, dir, (e, from) -> -1, sign, "encryptor");
        chain = new HashChain("bench-chain");
        headChain = new HashChain("bench-heads");
    }

    /** The mock keeps every record it was sent: forget them between iterations. */
    @Setup(Level.Iteration)
    public void forget() {
        producer.clear();
    }

    @TearDown
    public void tearDown() {
        trail.close();
        Dirs.deleteRecursively(dir);
    }

    @Benchmark
    public void durableRecord() {
        trail.record(RECORD);
    }

    @Benchmark
    public HashChain.Written signHead() {
        synchronized (headChain) {
            return AuditChainHead.append(headChain, identity, "encryptor", AuditChainHead.Kind.PERIODIC, 0);
        }
    }

    @Benchmark
    public AuditEvent chainOnly() {
        synchronized (chain) {
            return chain.next(RECORD, 0);
        }
    }
}
