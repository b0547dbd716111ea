package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The load generator's recovery logic against fake producers (Kafka's {@code MockProducer}): each slice is one
 * transaction; a stuck or failing producer is replaced, its transaction never committed, and the whole slice is sent
 * again, in order, in the replacement's transaction; a slice whose commit failed is counted as unsure (it may have
 * committed); a dead thread is reported by {@code check()}, naming it.
 */
class LoadGeneratorTest {
    private final List<CdcRecord> records = new CdcGenerator(CdcGenerator.Options.of(10, "acme")).generate();
    private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());

    @Test
    void aProducerThatStallsIsReplacedAndItsWholeSliceIsSentAgainInOrderInANewTransaction() {
        MockProducer<byte[], byte[]> stuck = manual();
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(stuck, next), Duration.ofSeconds(3)); // ample for the 7 completions below
        load.start();
        Awaitility.await("all 10 records sent to the first producer").atMost(Duration.ofSeconds(10))
                .until(() -> stuck.uncommittedRecords().size() == 10);
        for (int i = 0; i < 7; i++) {
            stuck.completeNext(); // the broker acknowledges 7; the last 3 hang (a partition rejected in a loop)
        }
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        load.check();
        assertThat(stuck.transactionCommitted()).as("the stuck producer committed").isFalse();
        assertThat(stuck.history()).as("committed by the stuck producer").isEmpty();
        assertThat(load.acknowledged()).isEqualTo(10);
        assertThat(load.replacements()).isEqualTo(1);
        assertThat(load.resent()).isEqualTo(10);
        assertThat(load.unsure()).as("never committing, the stuck one cannot have committed").isZero();
        assertThat(next.transactionCommitted()).isTrue();
        assertThat(values(next.history())).containsExactlyElementsOf(values(records));
        assertThat(timeline).singleElement().asString().contains("had nothing acknowledged").contains("re-sending 10")
                .contains("the failed one is aborted");
    }

    @Test
    void recordsThatHangBetweenAcknowledgedOnesCostOneStallNotOneEach() {
        // records 2, 5 and 8 hang (their partitions rejected in a loop), the others are acknowledged
        OutOfOrder stuck = new OutOfOrder();
        MockProducer<byte[], byte[]> next = automatic();
        Duration stall = Duration.ofSeconds(3);
        LoadGenerator load = generator(producers(stuck, next), stall);
        long started = System.nanoTime();
        load.start();
        Awaitility.await("all 10 records sent").atMost(Duration.ofSeconds(10)).until(() -> stuck.futures.size() == 10);
        for (int i = 0; i < 10; i++) {
            if (i % 3 != 2) {
                stuck.futures.get(i).complete(null);
            }
        }
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(20)).until(load::done);
        assertThat(values(next.history())).containsExactlyElementsOf(values(records));
        // one stall for the slice, not one per hanging record after an acknowledged one (that was 3 x 3 s)
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(stall.multipliedBy(2));
    }

    @Test
    void aSliceWhoseCommitFailedIsSentAgainAndCountedAsUnsure() {
        MockProducer<byte[], byte[]> failing = automatic();
        failing.commitTransactionException = new TimeoutException(
                "Timeout expired after 60000ms while awaiting EndTxn(true)");
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(failing, next), Duration.ofSeconds(30));
        load.start();
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        assertThat(load.resent()).isEqualTo(10);
        assertThat(load.unsure()).as("the commit may have gone through before the time-out").isEqualTo(10);
        assertThat(values(next.history())).containsExactlyElementsOf(values(records));
        assertThat(timeline).singleElement().asString().contains("failed to commit").contains("may have committed too");
    }

    /** A producer whose sends complete when and in the order the test says. */
    private static final class OutOfOrder extends MockProducer<byte[], byte[]> {
        final List<CompletableFuture<RecordMetadata>> futures =
                Collections.synchronizedList(new ArrayList<>());

        OutOfOrder() {
            super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(
                ProducerRecord<byte[], byte[]> record) {
            CompletableFuture<RecordMetadata> f =
                    new CompletableFuture<>();
            futures.add(f);
            return f;
        }
    }

    @Test
    void aProducerWhoseSendsFailIsReplacedAndTheSliceIsSentAgain() {
        MockProducer<byte[], byte[]> failing = manual();
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(failing, next), Duration.ofSeconds(30));
        load.start();
        Awaitility.await("all 10 records sent").atMost(Duration.ofSeconds(10)).until(() -> failing.uncommittedRecords().size() == 10);
        failing.completeNext();
        failing.errorNext(new OutOfOrderSequenceException("out of order sequence number"));
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        assertThat(failing.transactionCommitted()).isFalse();
        assertThat(load.resent()).isEqualTo(10);
        assertThat(load.unsure()).isZero();
        assertThat(values(next.history())).containsExactlyElementsOf(values(records));
        assertThat(timeline).singleElement().asString().contains("OutOfOrderSequenceException");
    }

    @Test
    void aProducerWhoseTransactionsCannotBeInitialisedIsReplaced() {
        MockProducer<byte[], byte[]> broken = automatic();
        broken.initTransactionException = new TimeoutException("Timeout expired while initializing");
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(broken, next), Duration.ofSeconds(30));
        load.start();
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        assertThat(broken.closed()).as("the broken producer is closed").isTrue();
        assertThat(load.resent()).isZero();
        assertThat(values(next.history())).containsExactlyElementsOf(values(records));
        assertThat(timeline).singleElement().asString().contains("could not be initialised");
    }

    @Test
    void aDeadThreadIsReportedNamingTheProducer() {
        MockProducer<byte[], byte[]> stuck = manual();
        LoadGenerator load = generator(producers(stuck), Duration.ofMinutes(5));
        load.start();
        Awaitility.await("records sent").atMost(Duration.ofSeconds(10)).until(() -> stuck.uncommittedRecords().size() == 10);
        load.check(); // alive and waiting: nothing to report
        load.thread().interrupt();
        Awaitility.await("the thread to end").atMost(Duration.ofSeconds(10))
                .until(() -> load.thread().getState() == Thread.State.TERMINATED);
        assertThat(load.done()).isFalse();
        assertThatThrownBy(load::check).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the load generator's producer (thread soak-producer) stopped after 0 of 10")
                .hasMessageContaining("InterruptedException");
    }

    @Test
    void itGivesUpAfterABoundedNumberOfReplacements() {
        LoadGenerator load = generator(() -> {
            MockProducer<byte[], byte[]> p = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
            // every transaction fails to begin: a producer that can never work
            p.beginTransactionException = new ProducerFencedException("fenced");
            return p;
        }, Duration.ofSeconds(1));
        load.start();
        Awaitility.await("the thread to give up").atMost(Duration.ofSeconds(20))
                .until(() -> load.thread().getState() == Thread.State.TERMINATED);
        assertThatThrownBy(load::check).hasMessageContaining("gave up after replacing its producer 20 times");
    }

    private LoadGenerator generator(Supplier<Producer<byte[], byte[]>> producers, Duration stall) {
        return new LoadGenerator(producers, records, 10, Duration.ZERO, stall, timeline::add);
    }

    @SafeVarargs
    private static Supplier<Producer<byte[], byte[]>> producers(MockProducer<byte[], byte[]>... in) {
        ConcurrentLinkedQueue<MockProducer<byte[], byte[]>> queue = new ConcurrentLinkedQueue<>(List.of(in));
        return () -> {
            MockProducer<byte[], byte[]> p = queue.poll();
            if (p == null) {
                throw new AssertionError("more producers asked for than the test expected");
            }
            return p;
        };
    }

    private static MockProducer<byte[], byte[]> manual() {
        return new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static MockProducer<byte[], byte[]> automatic() {
        return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static List<String> values(List<?> in) {
        List<String> out = new ArrayList<>();
        for (Object o : in) {
            byte[] v = o instanceof ProducerRecord<?, ?> r ? (byte[]) r.value() : ((CdcRecord) o).value();
            out.add(v == null ? "<tombstone>" : new String(v, StandardCharsets.UTF_8));
        }
        return out;
    }
}
