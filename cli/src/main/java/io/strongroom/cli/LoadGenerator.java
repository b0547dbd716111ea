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

/**
 * The fault run's load generator: one thread producing the generated CDC records in slices, at a pace, the way a
 * SaaS service feeding Strongroom would — including what such a service must do when its producer fails. A
 * producer that is fenced, loops on a broker's rejections after a restart, or stalls is closed and replaced, and
 * the records it did not get acknowledged are sent again by the new one (a record the old one did write then sits
 * twice in its CDC topic, legitimately: the run's ground truth is what the topics hold, not what a producer was
 * told). Only a bounded number of replacements is allowed; an interrupt or any other failure ends the thread, and
 * {@link #check()} reports it to whoever waits on the generator.
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
    private final Thread thread;
    private volatile int replacements;
    private volatile Throwable failure;
    private volatile boolean done;

    /**
     * @param producers makes a new producer (the first one, and each replacement)
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

    /** Records acknowledged so far (by whichever producer). */
    long acknowledged() {
        return acknowledged.get();
    }

    /** Records sent again by a replacement producer. */
    long resent() {
        return resent.get();
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
                    + acknowledged() + " of " + total + " acknowledged events: "
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
                + " events acknowledged", Duration.ofHours(6), Duration.ofMillis(200), () -> acknowledged() >= n, () -> {
                    check();
                    alive.check();
                    long now = acknowledged();
                    if (now > progress[0]) {
                        progress[0] = now;
                        progress[1] = System.nanoTime();
                    } else if (System.nanoTime() - progress[1] > stall.toNanos()) {
                        throw new IllegalStateException("the load generator's producer (thread " + THREAD + ") has had nothing "
                                + "acknowledged for " + Waits.describe(stall) + " (" + now + " of " + total + " events, "
                                + replacements + " producers replaced); see " + hint);
                    }
                }, null);
    }

    private void run() {
        List<CdcRecord> all = records;
        Producer<byte[], byte[]> producer = producers.get();
        try {
            for (int from = 0; from < all.size(); from += slice) {
                List<CdcRecord> pending = all.subList(from, Math.min(all.size(), from + slice));
                while (!pending.isEmpty()) {
                    Attempt attempt = send(producer, pending);
                    acknowledged.addAndGet(pending.size() - attempt.unacknowledged().size());
                    pending = attempt.unacknowledged();
                    if (!pending.isEmpty()) {
                        producer.close(Duration.ZERO); // whatever it still holds is sent again by the next one
                        producer = replace(attempt.problem(), pending.size());
                    }
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

    /** A new producer for the {@code unacknowledged} records; one that cannot be made (the broker still starting) counts too. */
    private Producer<byte[], byte[]> replace(String problem, int unacknowledged) throws InterruptedException {
        while (true) {
            if (++replacements > MAX_REPLACEMENTS) {
                throw new IllegalStateException("gave up after replacing its producer " + MAX_REPLACEMENTS + " times; the last one "
                        + problem);
            }
            timeline.accept("load generator: producer " + problem + "; replaced it (" + replacements + "), re-sending "
                    + unacknowledged + " unacknowledged events");
            try {
                Producer<byte[], byte[]> next = producers.get();
                resent.addAndGet(unacknowledged);
                return next;
            } catch (RuntimeException e) {
                problem = "could not be replaced: " + e.getMessage();
                Thread.sleep(1000); // before the next attempt
            }
        }
    }

    /** What one send of a list of records left unacknowledged, and why. */
    private record Attempt(List<CdcRecord> unacknowledged, String problem) {}

    private Attempt send(Producer<byte[], byte[]> producer, List<CdcRecord> batch) throws InterruptedException {
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        String problem = null;
        try {
            for (CdcRecord r : batch) {
                ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(r.topic(), null, r.timestampMs(), r.key(), r.value());
                r.headers().forEach(h -> pr.headers().add(h.getKey(), h.getValue()));
                futures.add(producer.send(pr));
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            throw new InterruptedException("interrupted while sending");
        } catch (RuntimeException e) { // fenced, closed, or blocked past max.block.ms: the rest waits for the next producer
            problem = "failed to send: " + e;
        }
        boolean[] unacknowledged = new boolean[batch.size()];
        java.util.Arrays.fill(unacknowledged, futures.size(), batch.size(), true); // never sent
        // the slice may go `stall` without an acknowledgement; once it has, what is not done by then is given up on
        long lastProgress = System.nanoTime();
        boolean stalled = false;
        for (int i = 0; i < futures.size(); i++) {
            try {
                long left = stalled ? 0 : stall.toNanos() - (System.nanoTime() - lastProgress);
                futures.get(i).get(Math.max(0, left), TimeUnit.NANOSECONDS);
                lastProgress = System.nanoTime();
            } catch (ExecutionException e) {
                problem = problem != null ? problem : "failed: " + e.getCause();
                unacknowledged[i] = true;
            } catch (TimeoutException e) {
                stalled = true;
                problem = problem != null ? problem : "had nothing acknowledged for " + Waits.describe(stall);
                unacknowledged[i] = true;
            }
        }
        List<CdcRecord> ordered = new ArrayList<>(); // in their original order
        for (int i = 0; i < batch.size(); i++) {
            if (unacknowledged[i]) {
                ordered.add(batch.get(i));
            }
        }
        return new Attempt(ordered, problem);
    }
}
