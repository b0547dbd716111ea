package io.strongroom.restore;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.restore.internal.ChainCheck;
import io.strongroom.restore.internal.EventJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Restores (or, without an output, verifies) archived segments from S3 alone: the manifests and a
 * listing say which segments there are (a segment a manifest names but the bucket lacks is
 * reported), and each segment carries what its decryption needs besides the KMS.
 *
 * <p>Objects are fetched in parallel but processed in key order, which is offset order within each
 * (tenant, partition), so per-key order is kept. A segment that fails (tampered, truncated, key
 * unavailable) is reported by name and the others are still restored; the chain of every
 * (tenant, partition) is checked so that a deleted segment is reported too. JSONL output is written
 * to a temporary file and moved into place at the end, so a failed run leaves no partial file.
 * With a {@link Checkpoint}, a restore is resumable instead: see {@link #run(ArchiveReader, Options,
 * RestoreSink, Checkpoint, Progress)}.
 */
public final class RestoreJob {
    private RestoreJob() {}

    /**
     * What to restore.
     *
     * @param environment environment whose archives are read
     * @param tenant tenant to restore, or null for every tenant
     * @param table table to keep ({@code schema.table} or just {@code table}), or null for all
     * @param output JSONL file to write, or null to only verify (or to use a sink of one's own)
     * @param parallelism segments fetched at once
     * @param from keep events that happened at or after this (source event time), or null
     * @param until keep events that happened at or before this, or null: with {@code from} null, the state as of then
     * @param masking columns to mask in what is written, or null
     * @param sample fraction of segments to read (verification), or null for all; a sample skips the chain check
     * @param sealedSince only segments sealed on or after this day (UTC), or null; skips the chain check too
     */
    public record Options(String environment, String tenant, String table, Path output, int parallelism,
            Instant from, Instant until, Masking masking, Double sample, LocalDate sealedSince) {
        public Options {
            Objects.requireNonNull(environment, "environment");
            if (parallelism < 1 || parallelism > 64) {
                throw new IllegalArgumentException("parallelism must be between 1 and 64, got " + parallelism);
            }
            if (sample != null && (sample <= 0 || sample > 1)) {
                throw new IllegalArgumentException("the sample of segments to decrypt must be in (0, 1], got " + sample);
            }
            if (from != null && until != null && from.isAfter(until)) {
                throw new IllegalArgumentException("the restore's start " + from + " is after its end " + until);
            }
        }

        /** Everything of a tenant (or all tenants), no time bounds. */
        public Options(String environment, String tenant, String table, Path output, int parallelism) {
            this(environment, tenant, table, output, parallelism, null, null, null, null, null);
        }

        boolean inTime(ChangeEvent e) {
            long t = e.getEventTimeMs() != null ? e.getEventTimeMs() : e.getSource().getTimestampMs();
            return (from == null || t >= from.toEpochMilli()) && (until == null || t <= until.toEpochMilli());
        }
    }

    /**
     * What a run did.
     *
     * @param segments segments read and authenticated
     * @param events change events restored (after the table filter)
     * @param bytes object bytes read
     * @param problems one line per failed segment or broken chain; empty on success
     * @param elapsed wall time
     */
    public record Result(int segments, long events, long bytes, List<String> problems, Duration elapsed,
            ArchiveReader.Catalog catalog) {
        /** A result without its catalog. */
        public Result(int segments, long events, long bytes, List<String> problems, Duration elapsed) {
            this(segments, events, bytes, problems, elapsed, null);
        }

        /**
         * What the catalog was checked against: "authenticated, chain heads of checkpoint N signed at T (age)", or why
         * not.
         */
        public String authenticity(Instant now) {
            if (catalog == null || !catalog.authenticated()) {
                return "catalog not authenticated (no identity.trust-file)";
            }
            if (catalog.heads() == null) {
                return "catalog authenticated; no signed chain-head checkpoint";
            }
            Instant at = Instant.ofEpochMilli(catalog.heads().checkpoint().createdAtMs());
            return "catalog authenticated; chain heads of checkpoint " + catalog.heads().checkpoint().sequence() + ", signed at "
                    + at + " (" + Duration.between(at, now).toSeconds() + " s ago)";
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Progress of a run: segments done, segments in all, events so far. */
    public interface Progress {
        void update(int segmentsDone, int segmentsTotal, long events);
    }

    /** Runs a restore into {@code options.output()} (JSONL), or a verification without one. */
    public static Result run(ArchiveReader reader, Options options, Progress progress) {
        return run(reader, options, null, progress);
    }

    /**
     * Runs a restore into {@code sink} (committed at the end, aborted on failure); with a null sink,
     * into {@code options.output()} or nowhere (verification).
     */
    public static Result run(ArchiveReader reader, Options options, RestoreSink sink, Progress progress) {
        return run(reader, options, sink, null, progress);
    }

    /** Time between two checkpoints, at most. */
    static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(10);

    /**
     * Runs a restore as above; with a {@code checkpoint}, resumable: what is done is made durable in the target
     * every {@link Checkpoint#every} segments or {@link #CHECKPOINT_INTERVAL} and recorded in the checkpoint,
     * a failure leaves both in place (run the same restore again to resume), and the checkpoint is deleted at the
     * end. The JSONL output then grows in {@code .NAME.RESTOREID.partial} beside it until it is moved into place.
     */
    public static Result run(ArchiveReader reader, Options options, RestoreSink sink, Checkpoint checkpoint, Progress progress) {
        long start = System.nanoTime();
        String prefix = options.tenant() == null ? ArchiveLayout.environmentPrefix(options.environment())
                : ArchiveLayout.tenantPrefix(options.environment(), options.tenant());
        ArchiveReader.Catalog catalog = reader.catalog(prefix);
        List<String> selected = catalog.segmentKeys();
        boolean partial = options.sample() != null || options.sealedSince() != null;
        if (options.sealedSince() != null) {
            String since = options.sealedSince().format(DateTimeFormatter.ofPattern("yyyy/MM/dd"));
            selected = selected.stream().filter(k -> sealedDay(k).compareTo(since) >= 0).toList();
        }
        if (options.sample() != null) {
            long salt = System.nanoTime();
            selected = selected.stream().filter(k -> Math.floorMod((k + salt).hashCode(), 1_000_000) < options.sample() * 1_000_000).toList();
        }
        List<String> chosen = inOffsetOrder(selected);
        List<String> keys = checkpoint == null ? chosen : checkpoint.plan(() -> chosen);
        List<String> problems = new ArrayList<>(catalog.problems());
        List<ChainCheck.Link> links = new ArrayList<>();
        int first = 0; // the first segment of the plan not yet durable in the target
        int emitFrom = 0; // segments before this one are durable in the target already: read again, not written
        long[] events = {0};
        long bytes = 0;
        if (checkpoint != null && checkpoint.resumed()) {
            Checkpoint.State st = checkpoint.state();
            first = st.done();
            links.addAll(checkpoint.links());
            problems = new ArrayList<>(st.problems());
            events[0] = st.events();
            bytes = st.bytes();
            emitFrom = first;
        }
        Path tmp = null;
        FileChannel channel = null;
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelism(), r -> {
            Thread t = new Thread(r, "strongroom-restore-fetch");
            t.setDaemon(true);
            return t;
        });
        try {
            if (sink != null && checkpoint != null && checkpoint.resumed()) {
                emitFrom = Math.max(first, sink.resume(checkpoint.restoreId(), first));
            }
            Writer out;
            if (options.output() == null) {
                out = Writer.nullWriter();
            } else if (checkpoint == null) {
                out = writer(tmp = temp(options.output()));
            } else { // a partial file that outlives this run, cut to what the checkpoint says is in it
                tmp = options.output().toAbsolutePath().resolveSibling("." + options.output().getFileName() + "."
                        + checkpoint.restoreId() + ".partial");
                Files.createDirectories(tmp.getParent());
                channel = openPrivate(tmp);
                channel.truncate(checkpoint.state().outputBytes());
                channel.position(checkpoint.state().outputBytes());
                out = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel),
                        StandardCharsets.UTF_8), 1 << 16);
            }
            try (Writer w = out) {
                boolean[] emit = {true};
                Consumer<ChangeEvent> consumer = original -> {
                    ChangeEvent e = options.masking() == null ? original : options.masking().apply(original);
                    if (matches(options.table(), e.getTable()) && options.inTime(e)) {
                        if (emit[0]) {
                            try {
                                if (sink != null) {
                                    sink.accept(e);
                                } else {
                                    w.write(EventJson.line(e));
                                    w.write('\n');
                                }
                            } catch (IOException ex) {
                                throw new UncheckedIOException(ex);
                            } catch (RuntimeException ex) {
                                throw ex;
                            } catch (Exception ex) {
                                throw new IllegalStateException("cannot write restored event " + e.getEventId() + ": " + ex.getMessage(), ex);
                            }
                        }
                        events[0]++;
                    }
                };
                Deque<CompletableFuture<RestoredSegment>> window = new ArrayDeque<>();
                int next = first;
                int saved = links.size();
                long lastCheckpoint = System.nanoTime();
                for (int done = first; done < keys.size(); done++) {
                    while (next < keys.size() && window.size() < options.parallelism() * 2) {
                        String key = keys.get(next++);
                        window.add(CompletableFuture.supplyAsync(() -> reader.read(key, catalog.entries().get(key)), pool));
                    }
                    String key = keys.get(done);
                    emit[0] = done >= emitFrom;
                    try {
                        RestoredSegment segment = window.removeFirst().join();
                        links.add(ChainCheck.Link.of(segment.header()));
                        bytes += segment.objectBytes();
                        segment.events().forEach(consumer);
                        problems.addAll(segment.unreadable());
                    } catch (CompletionException e) {
                        if (e.getCause() instanceof SegmentFormatException || e.getCause() instanceof KmsException) {
                            problems.add(e.getCause().getMessage().startsWith("s3://") ? e.getCause().getMessage()
                                    : key + ": " + e.getCause().getMessage());
                        } else if (e.getCause() instanceof NoSuchKeyException
                                && checkpoint != null) { // pruned or lost since the plan was made
                            problems.add("s3://" + key + ": in the restore's plan, but no longer in the bucket");
                        } else {
                            throw e;
                        }
                    }
                    progress.update(done + 1, keys.size(), events[0]);
                    boolean last = done + 1 == keys.size();
                    if (checkpoint != null && !last && (done + 1 - first) % checkpoint.everySegments() == 0
                            || checkpoint != null && !last && System.nanoTime() - lastCheckpoint > CHECKPOINT_INTERVAL.toNanos()) {
                        long outputBytes = 0;
                        if (channel != null) {
                            w.flush();
                            channel.force(false);
                            outputBytes = channel.position();
                        }
                        if (sink != null && done + 1 > emitFrom) {
                            sink.checkpoint(checkpoint.restoreId(), done + 1);
                        }
                        checkpoint.save(done + 1, outputBytes, links.size(), events[0], bytes, problems,
                                List.copyOf(links.subList(saved, links.size())));
                        saved = links.size();
                        lastCheckpoint = System.nanoTime();
                    }
                }
            }
        } catch (Exception e) {
            if (checkpoint == null) {
                deleteQuietly(tmp);
            }
            if (sink != null) {
                sink.abort(); // with a checkpoint, only what came after it
            }
            String resume = checkpoint == null ? "" : "; run the same restore again to resume from checkpoint " + checkpoint.file();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot write " + options.output() + ": " + io.getMessage() + resume, io);
            }
            if (checkpoint != null && e instanceof RuntimeException r) {
                throw new IllegalStateException(r.getMessage() + resume, r);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getMessage() + resume, e);
        } finally {
            pool.shutdownNow();
        }
        if (!partial) { // a sample or a time slice has gaps by design
            problems.addAll(ChainCheck.check(links, catalog.pruned()));
        }
        if (sink != null) {
            try {
                sink.commit();
            } catch (Exception e) {
                sink.abort();
                throw new IllegalStateException("cannot complete the restore: " + e.getMessage(), e);
            }
        }
        if (tmp != null) {
            try {
                Files.move(tmp, options.output(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot move restored events to " + options.output() + ": " + e.getMessage(), e);
            }
        }
        if (checkpoint != null) {
            checkpoint.finish();
        }
        return new Result(links.size(), events[0], bytes, List.copyOf(problems), Duration.ofNanos(System.nanoTime() - start),
                catalog);
    }

    private static void deleteQuietly(Path path) {
        try {
            if (path != null) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // best effort: the partial file is named .<output>.partial
        }
    }

    /**
     * {@code keys} in the order their events happened: by tenant, partition and first offset (then key). The
     * encryptor reads one topic and chains each tenant's segments per partition, and a quarantine segment (stream
     * {@code strongroom-quarantine}) is a link of that chain, so ordering by stream, as the bucket lists keys, would
     * restore a quarantined event before every earlier event of its tenant. A key not named as
     * {@link ArchiveLayout#segmentKey} names segments sorts after the others, in key order.
     */
    static List<String> inOffsetOrder(List<String> keys) {
        record Place(String tenant, int partition, long firstOffset, String key) {}
        Comparator<Place> order = Comparator.comparing(Place::tenant)
                .thenComparingInt(Place::partition).thenComparingLong(Place::firstOffset).thenComparing(Place::key);
        List<Place> places = new ArrayList<>(keys.size());
        List<String> unnamed = new ArrayList<>();
        for (String key : keys) {
            ArchiveLayout.Name name = ArchiveLayout.parse(key);
            if (name.kind() == ArchiveLayout.Kind.SEGMENT) {
                places.add(new Place(name.tenant(), name.partition(), name.firstOffset(), key));
            } else {
                unnamed.add(key);
            }
        }
        places.sort(order);
        List<String> out = new ArrayList<>(keys.size());
        places.forEach(p -> out.add(p.key()));
        unnamed.stream().sorted().forEach(out::add);
        return out;
    }

    /** {@code yyyy/MM/dd} of an object key ({@code env/tenant/stream/yyyy/MM/dd/pN/...}). */
    static String sealedDay(String key) {
        String day = ArchiveLayout.parse(key).day();
        return day == null ? "" : day;
    }

    static boolean matches(String wanted, String table) {
        return wanted == null || wanted.equals(table) || table.endsWith("." + wanted);
    }

    private static Path temp(Path output) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "." + output.getFileName(), ".partial");
    }

    /**
     * Opens (creating it if missing) the partial file of a resumable restore: restored plaintext, so it is created
     * owner-only ({@code rw-------}) where the file system has POSIX permissions, and made so if an older run left it wider.
     */
    private static FileChannel openPrivate(Path path) throws IOException {
        var options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (!Files.getFileStore(path.getParent()).supportsFileAttributeView(PosixFileAttributeView.class)) {
            return FileChannel.open(path, options);
        }
        var ownerOnly = PosixFilePermissions.fromString("rw-------");
        FileChannel channel = FileChannel.open(path, options,
                PosixFilePermissions.asFileAttribute(ownerOnly));
        Files.setPosixFilePermissions(path, ownerOnly);
        return channel;
    }

    private static Writer writer(Path path) throws IOException {
        return new BufferedWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8), 1 << 16);
    }
}
