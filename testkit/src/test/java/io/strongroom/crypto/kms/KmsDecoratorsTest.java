package io.strongroom.crypto.kms;

import static io.strongroom.crypto.kms.Kmses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.testkit.FlakyKms;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsDecoratorsTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final DekContext CTX = new DekContext("test", "acme", "s1");
    @TempDir Path dir;

    @Test
    void transientFailuresAreRetriedWithBackoff() {
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(dir, true));
        ManagedKms kms = ResilientKms.wrap(flaky.kms(), Duration.ofMillis(10), Duration.ofMillis(50), 5);
        flaky.failNext(3);
        DataKey dek = await(kms.generateDek("local://acme", CTX), T);
        assertThat(dek.wrapped().keyVersion()).isEqualTo("1");
        assertThat(flaky.calls("generateDek")).isEqualTo(4);
    }

    @Test
    void retriesStopAfterMaxAttemptsWithTheLastError() {
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(dir, true));
        ManagedKms kms = ResilientKms.wrap(flaky.kms(), Duration.ofMillis(5), Duration.ofMillis(10), 3);
        flaky.goDown();
        assertThatThrownBy(() -> await(kms.generateDek("local://acme", CTX), T)).isInstanceOf(KmsUnavailableException.class);
        assertThat(flaky.calls("generateDek")).isEqualTo(3);
    }

    @Test
    void unknownKeysAndMutationsAreNeverRetried() {
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(dir, false));
        ManagedKms kms = ResilientKms.wrap(flaky.kms(), Duration.ofMillis(5), Duration.ofMillis(10), 5);
        assertThatThrownBy(() -> await(kms.generateDek("local://nobody", CTX), T)).isInstanceOf(UnknownKeyException.class);
        assertThat(flaky.calls("generateDek")).isEqualTo(1);
        await(kms.createKek("acme"), T);
        flaky.failNext(1);
        assertThatThrownBy(() -> await(kms.rotate("local://acme"), T)).isInstanceOf(KmsUnavailableException.class);
        assertThat(flaky.calls("rotate")).isEqualTo(1);
    }

    @Test
    void unwrapIsCachedUntilItsTtlAndBounded() {
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(dir, true));
        AtomicLong now = new AtomicLong();
        CachingKms kms = (CachingKms) CachingKms.wrap(flaky.kms(), 2, Duration.ofSeconds(60), now::get);
        WrappedDek a = await(kms.generateDek("local://acme", CTX), T).wrapped();

        await(kms.unwrapDek(a, CTX), T);
        await(kms.unwrapDek(a, CTX), T);
        assertThat(flaky.calls("unwrapDek")).isEqualTo(1);

        now.addAndGet(Duration.ofSeconds(61).toNanos());
        await(kms.unwrapDek(a, CTX), T);
        assertThat(flaky.calls("unwrapDek")).isEqualTo(2);

        for (int i = 0; i < 5; i++) {
            WrappedDek other = await(kms.generateDek("local://acme", new DekContext("test", "acme", "x" + i)), T).wrapped();
            await(kms.unwrapDek(other, new DekContext("test", "acme", "x" + i)), T);
        }
        assertThat(kms.size()).isEqualTo(2);
    }

    @Test
    void cacheNeverServesAnotherContextAndForgetsAKeyWhenAVersionIsDisabled() {
        FlakyKms flaky = FlakyKms.wrap(TestKms.local(dir, true));
        CachingKms kms = (CachingKms) CachingKms.wrap(flaky.kms(), 100, Duration.ofMinutes(5));
        WrappedDek a = await(kms.generateDek("local://acme", CTX), T).wrapped();
        await(kms.unwrapDek(a, CTX), T);
        assertThatThrownBy(() -> await(kms.unwrapDek(a, new DekContext("test", "other", "s1")), T))
                .hasMessageContaining("does not authenticate");

        await(kms.rotate("local://acme"), T);
        await(kms.disable("local://acme", "1"), T);
        assertThat(kms.size()).isZero();
        assertThatThrownBy(() -> await(kms.unwrapDek(a, CTX), T)).isInstanceOf(KeyDisabledException.class);
    }

    @Test
    void callsAreTimedByOperationBackendAndOutcome() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ManagedKms kms = MeteredKms.wrap(TestKms.local(dir, false), registry);
        await(kms.createKek("acme"), T);
        await(kms.generateDek("local://acme", CTX), T);
        assertThatThrownBy(() -> await(kms.generateDek("local://nobody", CTX), T)).isInstanceOf(UnknownKeyException.class);

        assertThat(registry.get("strongroom.kms.calls").tags("operation", "generateDek", "backend", "local", "outcome", "success")
                .timer().count()).isEqualTo(1);
        assertThat(registry.get("strongroom.kms.calls").tags("operation", "generateDek", "outcome", "UnknownKeyException")
                .timer().count()).isEqualTo(1);
    }
}
