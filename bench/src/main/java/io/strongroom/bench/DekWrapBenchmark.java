package io.strongroom.bench;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DataKeys;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.testkit.SoftHsm;
import io.strongroom.testkit.TestKms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Opening a segment's data key: generate a fresh DEK and wrap it under a tenant KEK, through the
 * KMS backend ({@code local}: Tink keyset on disk; {@code pkcs11}: SoftHSM2 token, needs
 * {@code SOFTHSM2_CONF}), against the reference {@code bareTink}: the same DEK generation and wrap
 * under an in-memory Tink KEK, with no KMS in between.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DekWrapBenchmark {
    @Param({"local", "pkcs11"})
    public String backend;

    private ManagedKms kms;
    private Aead bareKek;
    private final DekContext context = new DekContext("bench", "acme", "segment");

    @Setup
    public void setUp() throws Exception {
        AeadConfig.register();
        Path dir = Files.createTempDirectory("strongroom-bench-kms-");
        kms = switch (backend) {
            case "local" -> TestKms.local(dir, true);
            case "pkcs11" -> Pkcs11Kms.open(new Pkcs11Kms.Options(SoftHsm.LIBRARY, SoftHsm.token(), SoftHsm.PIN.toCharArray(),
                    dir, true));
            default -> throw new IllegalArgumentException(backend);
        };
        Kmses.await(kms.createKek("acme"), Duration.ofSeconds(10));
        bareKek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM).getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    @TearDown
    public void tearDown() {
        kms.close();
    }

    /** Reference: a fresh DEK wrapped under an in-memory KEK. */
    @Benchmark
    public byte[] bareTink() throws Exception {
        return DataKeys.wrap(DataKeys.generate(), bareKek, context.bytes());
    }

    /** A fresh DEK wrapped under the tenant's primary KEK version through the KMS backend. */
    @Benchmark
    public DataKey generateAndWrap() {
        return Kmses.await(kms.generateDek("local".equals(backend) ? "local://acme" : "pkcs11://acme", context),
                Duration.ofSeconds(10));
    }
}
