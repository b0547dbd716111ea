package io.strongroom.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Signed chain heads: what the archive must hold at least, from a source an S3 writer cannot reach.
 *
 * <p>The coordinator reads {@code strongroom.archive.index} (Kafka, written by the archiver after each segment is
 * stored) and, every interval, signs per chain (tenant, stream, source partition) its newest segment, that segment's
 * last offset and how many segments the chain has had, into checkpoint {@code {env}/_chain-heads/{sequence:020}.json}.
 * Each checkpoint names its predecessor by sequence and SHA-256 of its stored bytes, so a checkpoint deleted or
 * replaced in the middle is a gap, and readers report the newest one's age, so one deleted at the end is a stale head.
 * A reader that trusts the newest checkpoint can tell a segment deleted together with its manifest entry, or a whole
 * manifest part deleted, from one that never existed.
 *
 * <p>Payload, JSON (inside a {@link Signed} envelope of type {@code chain-heads}, role
 * COORDINATOR, context the object name):
 *
 * <pre>
 * {"formatVersion":1, "environment":"prod", "sequence":43, "createdAtMs":..., "intervalMs":300000,
 *  "previousSha256":"hex of checkpoint 41's stored bytes" | null for the first,
 *  "previousSequence":41, "skipped":[42],
 *  "heads":[{"tenant":"acme","stream":"changes","partition":0,"segmentId":"…","lastOffset":1234,"segments":17}, …]}
 * </pre>
 *
 * <p>{@code previousSequence} and {@code skipped} are optional: a checkpoint without them follows {@code sequence - 1}.
 * A coordinator that finds the next name taken by an object it did not write (an S3 writer squatting on it) does not
 * stop signing: it takes the first free sequence, names the taken ones in {@code skipped} and its predecessor in
 * {@code previousSequence}. The squatting objects remain named problems (they authenticate as nothing); the chain
 * itself stays unbroken.
 */
public final class ChainHeads {
    /** Format of the checkpoint payload. */
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ChainHeads() {}

    /**
     * The newest segment of one chain.
     *
     * @param segments how many segments the chain has had (pruned ones included)
     */
    public record Head(String tenant, String stream, int partition, String segmentId, long lastOffset, long segments) {
        String chain() {
            return tenant + "/" + stream + "/p" + partition;
        }
    }

    /** One checkpoint's payload. */
    public record Checkpoint(int formatVersion, String environment, long sequence, long createdAtMs, long intervalMs,
            String previousSha256, Long previousSequence, List<Long> skipped, List<Head> heads) {
        /** The checkpoint this one follows: {@code previousSequence}, or {@code sequence - 1} if it does not say. */
        public long follows() {
            return previousSequence != null ? previousSequence : sequence - 1;
        }
    }

    /** At most this many taken names are skipped before signing gives up (someone is filling the namespace). */
    static final int MAX_SKIPPED = 1000;

    /** A checkpoint as stored, with the SHA-256 (hex) of its stored bytes. */
    public record Stored(String key, Checkpoint checkpoint, String sha256) {}

    /**
     * Every checkpoint of an environment that could be read and authenticated.
     *
     * @param checkpoints in sequence order
     * @param problems checkpoints unsigned, untrusted or malformed, and gaps in the sequence
     */
    public record History(List<Stored> checkpoints, List<String> problems) {
        /** The newest checkpoint, or null if there is none. */
        public Stored newest() {
            return checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1);
        }

        /** How old the newest checkpoint is at {@code now}, or null if there is none. */
        public Duration newestAge(Instant now) {
            Stored n = newest();
            return n == null ? null : Duration.between(Instant.ofEpochMilli(n.checkpoint().createdAtMs()), now);
        }
    }

    /**
     * Folds index entries into heads, in any order (one chain's entries are spread over the index's partitions). The
     * segments of a chain cover disjoint offset ranges, so a chain's segments are counted by their distinct last
     * offsets: the archiver's retries and a re-read of the compacted index count each segment once. Holds one long
     * per segment.
     */
    public static final class Tracker {
        private final Map<String, Head> heads = new TreeMap<>();
        private final Map<String, Set<Long>> seen = new HashMap<>();

        /** Adds one archived segment. */
        public synchronized void add(String tenant, String stream, int partition, String segmentId, long lastOffset) {
            String chain = tenant + "/" + stream + "/p" + partition;
            Set<Long> offsets = seen.computeIfAbsent(chain, c -> new HashSet<>());
            offsets.add(lastOffset);
            Head head = heads.get(chain);
            boolean newest = head == null || lastOffset > head.lastOffset();
            heads.put(chain, new Head(tenant, stream, partition, newest ? segmentId : head.segmentId(),
                    newest ? lastOffset : head.lastOffset(), offsets.size()));
        }

        /** The heads now, in chain order. */
        public synchronized List<Head> heads() {
            return List.copyOf(heads.values());
        }
    }

    /**
     * Stores the checkpoint after {@code previous} (null: the first) on every target, signed by {@code coordinator}. Its
     * sequence is the first after {@code previous} that no target holds an object under: names taken by objects this
     * coordinator did not write are skipped (and listed in the checkpoint), so squatting on the next name does not stop
     * the signing.
     *
     * @param lock Object Lock for it, or null
     * @throws IllegalStateException if more than {@value #MAX_SKIPPED} names after {@code previous} are taken, or one is
     *     taken between choosing it and writing it (another coordinator writes chain heads)
     */
    public static Stored write(List<ArchiveTarget> targets, String environment, SigningIdentity coordinator, Stored previous,
            List<Head> heads, Instant now, Duration interval, ArchiveTarget.Lock lock) {
        long first = previous == null ? 0 : previous.checkpoint().sequence() + 1;
        TreeSet<Long> taken = new TreeSet<>();
        for (ArchiveTarget t : targets) {
            taken.addAll(takenFrom(t, environment, first));
        }
        long sequence = first;
        List<Long> skipped = new ArrayList<>();
        while (taken.contains(sequence)) {
            skipped.add(sequence++);
        }
        if (skipped.size() > MAX_SKIPPED) {
            throw new IllegalStateException(targets.get(0).where(ArchiveLayout.chainHeadsPrefix(environment)) + ": "
                    + skipped.size() + " checkpoint names after " + (first - 1) + " are taken by objects this coordinator "
                    + "did not write: chain heads not signed (remove them, and find out who writes there)");
        }
        Checkpoint c = new Checkpoint(FORMAT_VERSION, environment, sequence, now.toEpochMilli(), interval.toMillis(),
                previous == null ? null : previous.sha256(), previous == null ? null : previous.checkpoint().sequence(),
                List.copyOf(skipped), List.copyOf(heads));
        String key = ArchiveLayout.chainHeadsKey(environment, sequence);
        byte[] bytes;
        try {
            bytes = CatalogSignatures.seal(coordinator, key, JSON.writeValueAsBytes(c));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (ArchiveTarget t : targets) {
            if (t.putIfAbsent(key, bytes, "application/json", lock) == ArchiveTarget.Put.ALREADY_PRESENT) {
                throw new IllegalStateException(t.where(key) + " was written by someone else while this coordinator "
                        + "wrote it: another coordinator writes chain heads (the next checkpoint skips it)");
            }
        }
        return new Stored(key, c, sha256(bytes));
    }

    /** Sequences of checkpoint names at or after {@code from} in {@code target} (names sort as their sequences). */
    private static List<Long> takenFrom(ArchiveTarget target, String environment, long from) {
        List<Long> taken = new ArrayList<>();
        String prefix = ArchiveLayout.chainHeadsPrefix(environment);
        ListObjectsV2Request.Builder request =
                ListObjectsV2Request.builder().bucket(target.bucket()).prefix(prefix);
        if (from > 0) {
            request.startAfter(ArchiveLayout.chainHeadsKey(environment, from - 1));
        }
        for (S3Object o : target.client().listObjectsV2Paginator(request.build()).contents()) {
            if (ArchiveLayout.parse(o.key()).kind() == ArchiveLayout.Kind.CHAIN_HEADS) {
                long sequence;
                try {
                    sequence = sequenceOf(o.key());
                } catch (NumberFormatException beyondALong) { // 20 digits past Long.MAX_VALUE: no checkpoint of ours
                    continue;
                }
                taken.add(sequence);
                if (taken.size() > MAX_SKIPPED) {
                    break;
                }
            }
        }
        return taken;
    }

    /**
     * Reads every checkpoint of {@code environment}, authenticating each against {@code trust} (null: unverified), and
     * checks that they form one chain.
     */
    public static History read(ArchiveTarget target, String environment, TrustFile trust) {
        List<String> problems = new ArrayList<>();
        List<Stored> read = new ArrayList<>();
        for (S3Object o : target.client().listObjectsV2Paginator(b -> b.bucket(target.bucket())
                .prefix(ArchiveLayout.chainHeadsPrefix(environment))).contents()) {
            String key = o.key();
            String where = target.where(key);
            if (ArchiveLayout.parse(key).kind() != ArchiveLayout.Kind.CHAIN_HEADS) {
                problems.add(where + ": not a chain-head checkpoint's name");
                continue;
            }
            try {
                byte[] bytes = target.get(key);
                Checkpoint c = parse(where, CatalogSignatures.open(where, key, bytes, trust));
                if (c.sequence() != sequenceOf(key) || !environment.equals(c.environment())) {
                    problems.add(where + ": holds checkpoint " + c.sequence() + " of environment " + c.environment()
                            + ", not the one its name says");
                    continue;
                }
                read.add(new Stored(key, c, sha256(bytes)));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            } catch (SdkException e) {
                problems.add(where + ": cannot be read: " + e.getMessage());
            }
        }
        read.sort(Comparator.comparingLong(s -> s.checkpoint().sequence()));
        for (int i = 1; i < read.size(); i++) {
            Stored before = read.get(i - 1);
            Stored s = read.get(i);
            long follows = s.checkpoint().follows();
            long seq = s.checkpoint().sequence();
            if (follows < before.checkpoint().sequence()) { // both follow the same one, or s names one older still
                problems.add(target.where(s.key()) + ": chain-head checkpoint " + seq + " follows " + follows
                        + ", and so does " + before.checkpoint().sequence() + " (" + target.where(before.key())
                        + "): two coordinators write chain heads, or one of them was replaced");
            } else if (follows > before.checkpoint().sequence()) {
                long from = before.checkpoint().sequence() + 1;
                problems.add(target.where(ArchiveLayout.chainHeadsKey(environment, from)) + ": chain-head checkpoint"
                        + (follows > from ? "s " + from + "-" + follows : " " + from) + " missing between "
                        + before.checkpoint().sequence() + " and " + seq + " (deleted)");
            } else if (!before.sha256().equals(s.checkpoint().previousSha256())) {
                problems.add(target.where(before.key()) + ": is not the checkpoint its successor " + seq
                        + " was written after (SHA-256 " + before.sha256() + ", the successor names "
                        + s.checkpoint().previousSha256() + "): replaced");
            }
        }
        return new History(List.copyOf(read), problems);
    }

    /**
     * What the catalog under {@code prefix} lacks of what {@code newest} signed: for every chain under the prefix, its
     * signed newest segment must be in the bucket, named by a manifest or pruned, and the chain must have at least as
     * many segments as were counted.
     */
    public static List<String> missing(ArchiveTarget target, ArchiveCatalog catalog, Stored newest, String prefix) {
        List<String> problems = new ArrayList<>();
        if (newest == null) {
            return problems;
        }
        Map<String, Set<String>> present = new TreeMap<>();
        catalog.listed().keySet().forEach(k -> note(present, k));
        catalog.entries().keySet().forEach(k -> note(present, k));
        catalog.pruned().values().forEach(k -> note(present, k));
        Instant at = Instant.ofEpochMilli(newest.checkpoint().createdAtMs());
        for (Head h : newest.checkpoint().heads()) {
            String chainPrefix = ArchiveLayout.tenantPrefix(newest.checkpoint().environment(), h.tenant()) + h.stream() + "/";
            if (!chainPrefix.startsWith(prefix)) {
                continue; // a chain outside what is read
            }
            Set<String> ids = present.getOrDefault(h.chain(), Set.of());
            if (!ids.contains(h.segmentId())) {
                problems.add(target.where(chainPrefix) + ": segment " + h.segmentId() + " (chain " + h.chain()
                        + ", up to offset " + h.lastOffset() + "), the newest of its chain in signed checkpoint "
                        + newest.checkpoint().sequence() + " of " + at + ", is neither in the bucket, nor in a manifest, "
                        + "nor pruned: deleted");
            }
            if (ids.size() < h.segments()) {
                problems.add(target.where(chainPrefix) + ": chain " + h.chain() + " holds " + ids.size() + " segments, "
                        + "signed checkpoint " + newest.checkpoint().sequence() + " counted " + h.segments() + ": "
                        + (h.segments() - ids.size()) + " deleted");
            }
        }
        return problems;
    }

    private static void note(Map<String, Set<String>> present, String key) {
        ArchiveLayout.Name n = ArchiveLayout.parse(key);
        if (n.kind() == ArchiveLayout.Kind.SEGMENT) {
            present.computeIfAbsent(n.tenant() + "/" + n.stream() + "/p" + n.partition(), c -> new HashSet<>())
                    .add(n.segmentId());
        }
    }

    private static long sequenceOf(String key) {
        String file = key.substring(key.lastIndexOf('/') + 1);
        return Long.parseLong(file.substring(0, file.length() - ".json".length()));
    }

    private static Checkpoint parse(String where, byte[] payload) {
        try {
            Checkpoint c = JSON.readValue(payload, Checkpoint.class);
            if (c.formatVersion() != FORMAT_VERSION || c.heads() == null) {
                throw new IllegalArgumentException(where + ": chain-head checkpoint format " + c.formatVersion()
                        + " is not " + FORMAT_VERSION);
            }
            return c;
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not a chain-head checkpoint: " + e.getMessage());
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(Segment.sha256(bytes));
    }
}
