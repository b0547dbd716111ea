package io.strongroom.restore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.restore.internal.ChainCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A restore's progress on disk, so that the same restore, run again after it was interrupted, resumes
 * where it stopped instead of starting over. Three files:
 *
 * <ul>
 *   <li>{@code FILE}: the state (JSON, replaced atomically at every checkpoint): the restore's id, what it
 *       restores (a fingerprint of its options), how many segments of the plan are done, counts and problems;
 *   <li>{@code FILE.plan}: the segment objects the restore covers, one per line, fixed when it started (segments
 *       archived later are not added halfway) and checked against its SHA-256 on resume;
 *   <li>{@code FILE.links}: one line per segment done (tenant, stream, partition, offsets, id, predecessor),
 *       appended, so that the chain check at the end covers every run.
 * </ul>
 *
 * <p>What is done is durable in the target before the state says so (the JSONL file is flushed to disk,
 * PostgreSQL commits, Kafka commits a transaction that also records the count). A crash between the two
 * means some segments are restored again on resume: idempotent for PostgreSQL (upserts in order), cut off
 * for JSONL (the file is truncated to the length the state records), and not even that for Kafka (the
 * count committed with the transaction wins over the file). The files are deleted when the restore ends.
 */
public final class Checkpoint {
    static final int FORMAT_VERSION = 1;
    /** Problems kept in the state; more are counted. */
    static final int MAX_PROBLEMS = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * The state file.
     *
     * @param formatVersion {@link #FORMAT_VERSION}
     * @param restoreId the restore's id (names its Kafka transactions and its partial output)
     * @param fingerprint what the restore restores and where to; a resume must match it
     * @param planSha256 SHA-256 of the plan file
     * @param planSize segments in the plan
     * @param done segments of the plan whose events are durable in the target
     * @param outputBytes length of the partial JSONL output at {@code done}
     * @param segments segments read and authenticated
     * @param events events restored
     * @param bytes object bytes read
     * @param problems problems so far (at most {@link #MAX_PROBLEMS})
     */
    public record State(int formatVersion, String restoreId, String fingerprint, String planSha256, int planSize, int done,
            long outputBytes, int segments, long events, long bytes, List<String> problems) {}

    private final Path file;
    private final String fingerprint;
    private final boolean resumed;
    private State state;
    private List<String> plan;
    private List<ChainCheck.Link> links = List.of();
    private int everySegments = 64;

    private Checkpoint(Path file, String fingerprint, State state) {
        this.file = file;
        this.fingerprint = fingerprint;
        this.state = state;
        this.resumed = state != null && state.planSha256() != null;
    }

    /**
     * Opens the checkpoint at {@code file}: the restore it records, if there is one, or a new restore.
     *
     * @throws IllegalArgumentException naming the file if it records another restore or cannot be read
     */
    public static Checkpoint open(Path file, String fingerprint) {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            return new Checkpoint(file, fingerprint, null);
        }
        State s;
        try {
            s = JSON.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + file + " cannot be read ("
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage())
                    + "); delete it to start the restore over", e);
        }
        if (s.formatVersion() != FORMAT_VERSION || s.restoreId() == null) {
            throw new IllegalArgumentException("checkpoint " + file + " has format version " + s.formatVersion()
                    + ", this build reads " + FORMAT_VERSION + "; delete it to start the restore over");
        }
        if (!s.fingerprint().equals(fingerprint)) {
            throw new IllegalArgumentException("checkpoint " + file + " is of another restore (" + s.fingerprint()
                    + "), not this one (" + fingerprint + "): resume it with the same request, or use another checkpoint file");
        }
        return new Checkpoint(file, fingerprint, s);
    }

    /** Checkpoints after every {@code segments} segments (default 64), and at least every 10 seconds. */
    public Checkpoint every(int segments) {
        if (segments < 1) {
            throw new IllegalArgumentException("a checkpoint is written after at least 1 segment, got every " + segments);
        }
        this.everySegments = segments;
        return this;
    }

    int everySegments() {
        return everySegments;
    }

    /** What a restore restores and where to, as its checkpoint records it: a resume must match. */
    public static String fingerprint(String environment, String tenant, String table, Instant from,
            Instant until, List<String> mask, String target) {
        return String.join("; ", "environment " + environment, "tenant " + tenant, "table " + table, "from " + from,
                "until " + until, "mask " + mask, "target " + target);
    }

    /** Whether this continues an earlier run. */
    public boolean resumed() {
        return resumed;
    }

    /** The restore's id: the one recorded, or a fresh one. */
    public String restoreId() {
        if (state == null) {
            state = new State(FORMAT_VERSION, UUID.randomUUID().toString(), fingerprint, null, 0, 0, 0, 0, 0, 0, List.of());
        }
        return state.restoreId();
    }

    /** The state as of the last checkpoint (all zero for a new restore). */
    public State state() {
        restoreId();
        return state;
    }

    /**
     * The segments this restore covers: those recorded when it started, or {@code keys} for a new restore (recorded
     * now, with an empty state).
     *
     * @throws IllegalStateException if the plan file is missing or changed
     */
    public List<String> plan(Supplier<List<String>> keys) {
        if (plan != null) {
            return plan;
        }
        Path planFile = sibling(".plan");
        try {
            if (state != null && state.planSha256() != null) {
                byte[] bytes = Files.readAllBytes(planFile);
                if (!sha256(bytes).equals(state.planSha256())) {
                    throw new IllegalStateException("checkpoint plan " + planFile + " does not match " + file
                            + "; delete both to start the restore over");
                }
                String text = new String(bytes, StandardCharsets.UTF_8);
                plan = text.isEmpty() ? List.of() : List.of(text.split("\n"));
                links = readLinks();
                return plan;
            }
            plan = List.copyOf(keys.get());
            byte[] bytes = String.join("\n", plan).getBytes(StandardCharsets.UTF_8);
            write(planFile, bytes);
            Files.deleteIfExists(sibling(".links"));
            state = new State(FORMAT_VERSION, restoreId(), fingerprint, sha256(bytes), plan.size(), 0, 0, 0, 0, 0, List.of());
            write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
            return plan;
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("checkpoint " + file + " names a plan, but " + planFile
                    + " is missing; delete " + file + " to start the restore over", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The chain links of the segments read before the last checkpoint (empty for a new restore). */
    List<ChainCheck.Link> links() {
        return links;
    }

    /** The first {@code state.segments()} lines of the links file, which is cut to them: later lines were not saved. */
    private List<ChainCheck.Link> readLinks() throws IOException {
        Path linksFile = sibling(".links");
        List<ChainCheck.Link> out = new ArrayList<>();
        List<String> lines = Files.exists(linksFile) ? Files.readAllLines(linksFile, StandardCharsets.UTF_8) : List.of();
        if (lines.size() < state.segments()) {
            throw new IllegalStateException("checkpoint " + linksFile + " has " + lines.size() + " segments, " + file
                    + " says " + state.segments() + "; delete " + file + " to start the restore over");
        }
        try {
            for (String line : lines.subList(0, state.segments())) {
                out.add(ChainCheck.Link.parse(line));
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("checkpoint " + linksFile + " cannot be read (" + e.getMessage()
                    + "); delete " + file + " to start the restore over", e);
        }
        if (lines.size() > state.segments()) {
            write(linksFile, (String.join("\n", lines.subList(0, state.segments())) + (out.isEmpty() ? "" : "\n"))
                    .getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * Records that the first {@code done} segments of the plan are durable in the target; {@code newLinks} are the
     * links of the segments read since the last save (appended to disk first; then the state replaces the old one
     * atomically).
     */
    void save(int done, long outputBytes, int segments, long events, long bytes, List<String> problems,
            List<ChainCheck.Link> newLinks) {
        try {
            if (!newLinks.isEmpty()) {
                StringBuilder text = new StringBuilder();
                newLinks.forEach(l -> text.append(l.format()).append('\n'));
                try (FileChannel ch = FileChannel.open(sibling(".links"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                    ch.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
                    ch.force(false);
                }
            }
            state = new State(FORMAT_VERSION, restoreId(), fingerprint, state.planSha256(), state.planSize(), done,
                    outputBytes, segments, events, bytes, List.copyOf(problems.subList(0, Math.min(problems.size(), MAX_PROBLEMS))));
            write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the checkpoint: the restore is complete. */
    public void finish() {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(sibling(".plan"));
            Files.deleteIfExists(sibling(".links"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint file. */
    public Path file() {
        return file;
    }

    private Path sibling(String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    private static void write(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
