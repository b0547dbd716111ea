package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The load generator's recovery logic against fake producers (Kafka's {@code MockProducer}): a stuck or failing
 * producer is replaced and exactly what it did not get acknowledged is sent again, in order; a dead thread is
 * reported by {@code check()}, naming it.
 */
class LoadGeneratorTest {
    private final List<CdcRecord> records = new CdcGenerator(CdcGenerator.Options.of(10, "acme")).generate();
    private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());

    @Test
    void aProducerThatStallsIsReplacedAndOnlyItsUnacknowledgedRecordsAreSentAgainInOrder() {
        MockProducer<byte[], byte[]> stuck = manual();
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(stuck, next), Duration.ofSeconds(3)); // ample for the 7 completions below
        load.start();
        Awaitility.await("all 10 records sent to the first producer").atMost(Duration.ofSeconds(10))
                .until(() -> stuck.history().size() == 10);
        for (int i = 0; i < 7; i++) {
            stuck.completeNext(); // the broker acknowledges 7; the last 3 hang (a partition rejected in a loop)
        }
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        load.check();
        assertThat(load.acknowledged()).isEqualTo(10);
        assertThat(load.replacements()).isEqualTo(1);
        assertThat(load.resent()).isEqualTo(3);
        assertThat(values(next.history())).containsExactlyElementsOf(values(records.subList(7, 10)));
        assertThat(timeline).singleElement().asString().contains("had nothing acknowledged").contains("re-sending 3");
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
        assertThat(values(next.history())).containsExactlyElementsOf(values(List.of(records.get(2), records.get(5), records.get(8))));
        // one stall for the slice, not one per hanging record after an acknowledged one (that was 3 x 3 s)
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(stall.multipliedBy(2));
    }

    /** A producer whose sends complete when and in the order the test says. */
    private static final class OutOfOrder extends MockProducer<byte[], byte[]> {
        final List<java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata>> futures =
                Collections.synchronizedList(new ArrayList<>());

        OutOfOrder() {
            super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                ProducerRecord<byte[], byte[]> record) {
            java.util.concurrent.CompletableFuture<org.apache.kafka.clients.producer.RecordMetadata> f =
                    new java.util.concurrent.CompletableFuture<>();
            futures.add(f);
            return f;
        }
    }

    @Test
    void aProducerWhoseSendsFailIsReplacedAndTheFailedRecordsAreSentAgain() {
        MockProducer<byte[], byte[]> failing = manual();
        MockProducer<byte[], byte[]> next = automatic();
        LoadGenerator load = generator(producers(failing, next), Duration.ofSeconds(30));
        load.start();
        Awaitility.await("all 10 records sent").atMost(Duration.ofSeconds(10)).until(() -> failing.history().size() == 10);
        for (int i = 0; i < 10; i++) {
            if (i % 4 == 1) {
                failing.errorNext(new OutOfOrderSequenceException("out of order sequence number"));
            } else {
                failing.completeNext();
            }
        }
        Awaitility.await("the load generator to finish").atMost(Duration.ofSeconds(10)).until(load::done);
        assertThat(load.resent()).isEqualTo(3); // records 1, 5 and 9
        assertThat(values(next.history())).containsExactlyElementsOf(values(List.of(records.get(1), records.get(5), records.get(9))));
        assertThat(timeline).singleElement().asString().contains("OutOfOrderSequenceException");
    }

    @Test
    void aDeadThreadIsReportedNamingTheProducer() {
        MockProducer<byte[], byte[]> stuck = manual();
        LoadGenerator load = generator(producers(stuck), Duration.ofMinutes(5));
        load.start();
        Awaitility.await("records sent").atMost(Duration.ofSeconds(10)).until(() -> stuck.history().size() == 10);
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
            p.close(); // every send throws: a producer that can never work
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
            out.add(v == null ? "<tombstone>" : new String(v, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
