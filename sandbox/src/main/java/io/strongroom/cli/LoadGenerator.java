package io.strongroom.cli;

import io.strongroom.testkit.CdcRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InterruptException;

/**
 * The fault run's load generator: one thread producing the generated CDC records in slices, at a pace, the way a
 * SaaS service feeding Strongroom exactly once would (Kafka Connect's exactly-once source support does the same):
 * each slice in one Kafka transaction. A producer that is fenced, fails, loops on a broker's rejections after a
 * restart, or stalls is closed and replaced; the replacement (same {@code transactional.id}) fences it, which aborts
 * its open transaction, and sends the whole slice again. Nothing of an aborted slice is visible to a
 * {@code read_committed} reader, so the CDC topics hold each generated record once, but for a slice whose commit
 * was under way when its producer failed: that one may have committed too, and {@link #unsure()} counts its
 * records. (An idempotent producer without transactions is not enough for an exact ground truth: after a broker's
 * {@code kill -9} it may bump its epoch and re-write batches the broker had already written, duplicates no one was
 * told of; CI runs saw a few hundred.) Only a bounded number of replacements is allowed; an interrupt or any other
 * failure ends the thread, and {@link #check()} reports it to whoever waits on the generator.
 */
final class LoadGenerator implements Waits.Check {
    /** Thread name; failures name it. */
    static final String THREAD = "soak-producer";
    private static final int MAX_REPLACEMENTS = 20;

    private final Supplier<Producer<byte[], byte[]>> producers;
    private volatile List<CdcRecord> records; // dropped once all are acknowledged: the topics are the truth from then on
    private final int total;
    private final int slice;
    private final Duration pause;
    private final Duration stall;
    private final Consumer<String> timeline;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong unsure = new AtomicLong();
    private final Thread thread;
    private volatile int replacements;
    private volatile Throwable failure;
    private volatile boolean done;

    /**
     * @param producers makes a new transactional producer (the first one, and each replacement), all with one
     *     {@code transactional.id}; the generator initialises its transactions
     * @param records what to produce, in order
     * @param slice records per slice: sent together, then acknowledged, then the pause
     * @param pause between slices (pacing, so that events flow while faults happen)
     * @param stall how long a slice may go without a single acknowledgement before its producer counts as stuck
     * @param timeline where replacements are reported
     */
    LoadGenerator(Supplier<Producer<byte[], byte[]>> producers, List<CdcRecord> records, int slice, Duration pause,
            Duration stall, Consumer<String> timeline) {
        this.producers = producers;
        this.records = records;
        this.total = records.size();
        this.slice = slice;
        this.pause = pause;
        this.stall = stall;
        this.timeline = timeline;
        this.thread = new Thread(this::run, THREAD);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Records committed so far (by whichever producer). */
    long acknowledged() {
        return acknowledged.get();
    }

    /** Records sent again by a replacement producer (their first transaction failed). */
    long resent() {
        return resent.get();
    }

    /**
     * Records sent again whose first transaction's commit was under way when it failed: it may have committed, and
     * these are the only records that may sit twice in the CDC topics.
     */
    long unsure() {
        return unsure.get();
    }

    /** Producers replaced. */
    int replacements() {
        return replacements;
    }

    /** Whether every record is acknowledged. */
    boolean done() {
        return done;
    }

    /** Stops the producing thread (interrupts it, waits up to 10 s): the run is over, whatever its outcome. */
    void stop() throws InterruptedException {
        thread.interrupt();
        thread.join(10_000);
    }

    /** The producing thread (tests stop it on purpose). */
    Thread thread() {
        return thread;
    }

    /** @throws IllegalStateException naming the producer if its thread ended without producing everything */
    @Override
    public void check() {
        Throwable f = failure;
        if (f != null || (!done && thread.getState() == Thread.State.TERMINATED)) {
            throw new IllegalStateException("the load generator's producer (thread " + THREAD + ") stopped after "
                    + acknowledged() + " of " + total + " committed events: "
                    + (f == null ? "its thread ended" : f.getClass().getSimpleName() + ": " + f.getMessage()), f);
        }
    }

    /**
     * Waits until {@code n} records are acknowledged. Fails at once if the producing thread died or {@code alive}
     * throws (a process that stopped), and after {@code stall} without a single acknowledgement.
     *
     * @param hint where to look when it stalls (the broker's log)
     */
    void awaitAcknowledged(long n, Duration stall, Waits.Check alive, Path hint) throws Exception {
        long[] progress = {acknowledged(), System.nanoTime()};
        Waits.until("the load generator's producer (thread " + THREAD + ") to have " + n + " of " + total
                + " events committed", Duration.ofHours(6), Duration.ofMillis(200), () -> acknowledged() >= n, () -> {
                    check();
                    alive.check();
                    long now = acknowledged();
                    if (now > progress[0]) {
                        progress[0] = now;
                        progress[1] = System.nanoTime();
                    } else if (System.nanoTime() - progress[1] > stall.toNanos()) {
                        throw new IllegalStateException("the load generator's producer (thread " + THREAD + ") has had nothing "
                                + "committed for " + Waits.describe(stall) + " (" + now + " of " + total + " events, "
                                + replacements + " producers replaced); see " + hint);
                    }
                }, null);
    }

    private void run() {
        List<CdcRecord> all = records;
        Producer<byte[], byte[]> producer = null;
        try {
            try {
                producer = init(producers.get());
            } catch (InterruptException e) {
                throw new InterruptedException("interrupted while initialising the producer's transactions");
            } catch (RuntimeException e) {
                producer = replace("could not be initialised: " + e.getMessage(), 0, false);
            }
            for (int from = 0; from < all.size(); from += slice) {
                List<CdcRecord> pending = all.subList(from, Math.min(all.size(), from + slice));
                while (true) {
                    Attempt attempt = send(producer, pending);
                    if (attempt.problem() == null) {
                        acknowledged.addAndGet(pending.size());
                        break;
                    }
                    producer.close(Duration.ZERO); // its replacement fences it: what it has not committed is aborted
                    producer = null;
                    producer = replace(attempt.problem(), pending.size(), attempt.commitRequested());
                }
                if (!pause.isZero()) {
                    Thread.sleep(pause.toMillis()); // pacing, so that events flow while the faults happen
                }
            }
            done = true;
            records = null;
        } catch (Throwable e) { // an interrupt included: the thread ends, check() tells the run
            failure = e;
        } finally {
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
        }
    }

    /** {@code p} with its transactions initialised (which fences its predecessor), or closed and the failure thrown. */
    private static Producer<byte[], byte[]> init(Producer<byte[], byte[]> p) {
        try {
            p.initTransactions();
            return p;
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * A new producer for a slice of {@code records} whose transaction failed; one that cannot be made or initialised
     * (the broker still starting) counts too.
     *
     * @param commitRequested whether the failed transaction's commit was under way (it may have committed)
     */
    private Producer<byte[], byte[]> replace(String problem, int records, boolean commitRequested) throws InterruptedException {
        while (true) {
            if (++replacements > MAX_REPLACEMENTS) {
                throw new IllegalStateException("gave up after replacing its producer " + MAX_REPLACEMENTS + " times; the last one "
                        + problem);
            }
            timeline.accept("load generator: producer " + problem + "; replaced it (" + replacements + ")" + (records == 0 ? ""
                    : ", re-sending " + records + " events in a new transaction" + (commitRequested ? " (the failed one was "
                            + "committing: it may have committed too)" : " (the failed one is aborted)")));
            try {
                Producer<byte[], byte[]> next = init(producers.get());
                resent.addAndGet(records);
                if (commitRequested) {
                    unsure.addAndGet(records);
                }
                return next;
            } catch (InterruptException e) {
                throw new InterruptedException("interrupted while replacing the producer");
            } catch (RuntimeException e) {
                problem = "could not be replaced: " + e.getMessage(); // the failed commit's outcome stays unknown
                Thread.sleep(1000); // before the next attempt
            }
        }
    }

    /**
     * What one transaction of a slice came to: {@code problem} null if it committed, else why not, and whether its
     * commit had been requested (then its outcome is unknown).
     */
    private record Attempt(String problem, boolean commitRequested) {}

    private Attempt send(Producer<byte[], byte[]> producer, List<CdcRecord> batch) throws InterruptedException {
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        try {
            producer.beginTransaction();
            for (CdcRecord r : batch) {
                ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(r.topic(), null, r.timestampMs(), r.key(), r.value());
                r.headers().forEach(h -> pr.headers().add(h.getKey(), h.getValue()));
                futures.add(producer.send(pr));
            }
        } catch (InterruptException e) {
            throw new InterruptedException("interrupted while sending");
        } catch (RuntimeException e) { // fenced, closed, or blocked past max.block.ms
            return new Attempt("failed to send: " + e, false);
        }
        // the slice may go `stall` without an acknowledgement; then it is given up on (and aborted by the replacement)
        long lastProgress = System.nanoTime();
        for (Future<RecordMetadata> f : futures) {
            try {
                f.get(Math.max(0, stall.toNanos() - (System.nanoTime() - lastProgress)), TimeUnit.NANOSECONDS);
                lastProgress = System.nanoTime();
            } catch (ExecutionException e) {
                return new Attempt("failed: " + e.getCause(), false);
            } catch (TimeoutException e) {
                return new Attempt("had nothing acknowledged for " + Waits.describe(stall), false);
            }
        }
        try {
            producer.commitTransaction(); // blocks up to max.block.ms
            return new Attempt(null, false);
        } catch (InterruptException e) {
            throw new InterruptedException("interrupted while committing");
        } catch (RuntimeException e) { // timed out, fenced, or the broker went away while it committed
            return new Attempt("failed to commit: " + e, true);
        }
    }
}
