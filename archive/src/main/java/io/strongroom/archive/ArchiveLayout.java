package io.strongroom.archive;

import io.strongroom.avro.SegmentHeader;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Every object name of the archive, formatted and parsed here only. A segment's name derives only
 * from its header, so a replayed segment always maps to the same object. The whole layout of a
 * bucket:
 *
 * <pre>
 * {env}/{tenant}/{stream}/{yyyy}/{MM}/{dd}/p{partition}/{firstOffset:020}-{lastOffset:020}-{segmentId}.srseg   segment
 * {env}/{tenant}/_manifests/{yyyy}/{MM}/{dd}/s{segmentsPartition}-{first:020}-{last:020}.json                manifest part (archiver)
 * {env}/{tenant}/_manifests/{yyyy}/{MM}/{dd}/rewrap-{atMs}-{id}.json                                          rewrap part
 * {env}/{tenant}/_pruned/{atMs}-{id}.json                                                                     prune marker
 * {env}/{tenant}/_legal-holds/{id}.json                                                                       legal hold
 * {env}/{tenant}/_attested/{atMs}-{id}.json                                                                   an operator's attestation of unsigned (legacy) catalog objects
 * {env}/_quarantine/{topic}-{partition}-{offset}.bin                                                          not a segment, kept as received
 * {env}/_audit/signing-key.json, {env}/_audit/checkpoints/s{sequence:020}.json                                audit checkpoints
 * {env}/_audit/checkpoints/{createdAtMs:020}.json                                                             audit checkpoints of format 1 (before the chain)
 * {env}/_chain-heads/{sequence:020}.json                                                                      signed chain heads (coordinator)
 * </pre>
 *
 * The date is the segment's seal time (UTC). Zero-padded offsets make a listing sort in offset order.
 * Names under a tenant that start with {@code _} are reserved ({@link #isReserved}); tenant names
 * cannot start with one.
 */
public final class ArchiveLayout {
    /** Suffix of segment objects. */
    public static final String SEGMENT_SUFFIX = ".srseg";
    static final String MANIFESTS = "_manifests";
    static final String PRUNED = "_pruned";
    static final String LEGAL_HOLDS = "_legal-holds";
    static final String QUARANTINE = "_quarantine";
    static final String AUDIT = "_audit";
    static final String CHAIN_HEADS = "_chain-heads";
    static final String ATTESTED = "_attested";
    private static final String REWRAP = "rewrap-";
    private static final String AUDIT_CHECKPOINT = "s";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC);

    private ArchiveLayout() {}

    /** The object key of a segment. */
    public static String segmentKey(SegmentHeader h) {
        // by hand rather than String.format: this runs once per archived segment
        StringBuilder key = new StringBuilder(160).append(h.getEnvironment()).append('/').append(h.getTenant()).append('/')
                .append(h.getStream()).append('/').append(DAY.format(Instant.ofEpochMilli(h.getSealedAtMs())))
                .append("/p").append(h.getSourcePartition()).append('/');
        padded(key, h.getFirstOffset()).append('-');
        return padded(key, h.getLastOffset()).append('-').append(h.getSegmentId()).append(SEGMENT_SUFFIX).toString();
    }

    /** {@code value} zero-padded to 20 digits (every non-negative long), so that names sort in offset order. */
    private static StringBuilder padded(StringBuilder into, long value) {
        if (value < 0) { // never a Kafka offset; named as before
            return into.append(String.format("%020d", value));
        }
        String digits = Long.toString(value);
        return into.append("0".repeat(20 - digits.length())).append(digits);
    }

    /** The prefix under which all of a tenant's objects lie in an environment. */
    public static String tenantPrefix(String environment, String tenant) {
        return environment + "/" + tenant + "/";
    }

    /** The prefix under which every tenant's objects lie in an environment. */
    public static String environmentPrefix(String environment) {
        return environment + "/";
    }

    /** Whether a name directly under an environment (a would-be tenant) is reserved rather than a tenant. */
    public static boolean isReserved(String name) {
        return name.startsWith("_");
    }

    /** The day (UTC) a segment sealed at {@code sealedAtMs} is filed under: {@code yyyy/MM/dd}. */
    public static String day(long sealedAtMs) {
        return DAY.format(Instant.ofEpochMilli(sealedAtMs));
    }

    /** Where every manifest and rewrap part of a tenant lies. */
    public static String manifestsPrefix(String environment, String tenant) {
        return tenantPrefix(environment, tenant) + MANIFESTS + "/";
    }

    /** The key of a manifest part written by the archiver for a batch of {@code strongroom.segments}. */
    public static String manifestKey(String environment, String tenant, String day, int segmentsPartition, long firstOffset,
            long lastOffset) {
        return String.format("%s%s/s%d-%020d-%020d.json", manifestsPrefix(environment, tenant), day, segmentsPartition,
                firstOffset, lastOffset);
    }

    /** The key of a manifest part recording rewraps ({@code id}: a segment id, or a batch id). */
    public static String rewrapKey(String environment, String tenant, String day, String id, long atMs) {
        return String.format("%s%s/%s%d-%s.json", manifestsPrefix(environment, tenant), day, REWRAP, atMs, id);
    }

    /** Where a tenant's legal holds lie. */
    public static String holdsPrefix(String environment, String tenant) {
        return tenantPrefix(environment, tenant) + LEGAL_HOLDS + "/";
    }

    /** The key of legal hold {@code id}. */
    public static String holdKey(String environment, String tenant, String id) {
        return holdsPrefix(environment, tenant) + id + ".json";
    }

    /** Where a tenant's prune markers lie. */
    public static String prunedPrefix(String environment, String tenant) {
        return tenantPrefix(environment, tenant) + PRUNED + "/";
    }

    /** The key of a prune marker. */
    public static String prunedKey(String environment, String tenant, long atMs, String id) {
        return prunedPrefix(environment, tenant) + atMs + "-" + id + ".json";
    }

    /** Where a record that was not a valid segment is kept, as received. */
    public static String quarantineKey(String environment, String topic, int partition, long offset) {
        return environment + "/" + QUARANTINE + "/" + topic + "-" + partition + "-" + offset + ".bin";
    }

    /** The audit checkpoints' signing key (wrapped). */
    public static String auditSigningKey(String environment) {
        return environment + "/" + AUDIT + "/signing-key.json";
    }

    /** Where audit checkpoints lie. */
    public static String auditCheckpointsPrefix(String environment) {
        return environment + "/" + AUDIT + "/checkpoints/";
    }

    /**
     * The key of audit checkpoint {@code sequence}. Named by sequence, so that two writers continuing the same
     * predecessor collide on one name (written once) and a listing sorts in chain order; the {@code s} keeps these
     * names apart from, and listed after, those of format 1 ({@code {createdAtMs:020}.json}), which are still read.
     */
    public static String auditCheckpointKey(String environment, long sequence) {
        return auditCheckpointsPrefix(environment) + AUDIT_CHECKPOINT + String.format("%020d", sequence) + ".json";
    }

    /** Where a listing of {@code environment}'s audit checkpoints starts to see only those named by sequence. */
    public static String auditCheckpointsAfter(String environment) {
        return auditCheckpointsPrefix(environment) + AUDIT_CHECKPOINT;
    }

    /** The sequence an audit checkpoint's key names, or -1 if it is not named by sequence (format 1, or junk). */
    public static long auditCheckpointSequence(String key) {
        int slash = key.lastIndexOf('/');
        String file = key.substring(slash + 1);
        if (!key.substring(0, slash + 1).endsWith("/" + AUDIT + "/checkpoints/") || !file.matches("s\\d{20}\\.json")) {
            return -1;
        }
        try {
            return Long.parseLong(file.substring(1, 21));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Where the signed chain-head checkpoints lie. */
    public static String chainHeadsPrefix(String environment) {
        return environment + "/" + CHAIN_HEADS + "/";
    }

    /** The key of chain-head checkpoint {@code sequence}. */
    public static String chainHeadsKey(String environment, long sequence) {
        return chainHeadsPrefix(environment) + String.format("%020d", sequence) + ".json";
    }

    /** What an object name is. */
    public enum Kind {
        SEGMENT, MANIFEST_PART, REWRAP_PART, PRUNE_MARKER, LEGAL_HOLD, QUARANTINED, AUDIT, OTHER, CHAIN_HEADS, ATTESTATION
    }

    /** Where a tenant's attestations of legacy catalog objects lie. */
    public static String attestedPrefix(String environment, String tenant) {
        return tenantPrefix(environment, tenant) + ATTESTED + "/";
    }

    /** The key of an attestation of legacy catalog objects. */
    public static String attestationKey(String environment, String tenant, long atMs, String id) {
        return attestedPrefix(environment, tenant) + atMs + "-" + id + ".json";
    }

    /**
     * A parsed object name.
     *
     * @param kind what it is
     * @param environment its environment
     * @param tenant its tenant, or null for objects of the environment ({@link Kind#QUARANTINED}, {@link Kind#AUDIT})
     * @param segmentId for a segment, its id (else null)
     * @param stream for a segment, its stream (else null)
     * @param partition for a segment, its source partition (else -1)
     * @param firstOffset for a segment, its first offset
     * @param lastOffset for a segment, its last offset
     * @param day for a segment, a manifest or a rewrap part, the day it is filed under ({@code yyyy/MM/dd}), else null
     */
    public record Name(Kind kind, String environment, String tenant, String segmentId, String stream, int partition,
            long firstOffset, long lastOffset, String day) {
        static Name of(Kind kind, String environment, String tenant) {
            return new Name(kind, environment, tenant, null, null, -1, -1, -1, null);
        }

        static Name of(Kind kind, String environment, String tenant, String day) {
            return new Name(kind, environment, tenant, null, null, -1, -1, -1, day);
        }

        /** Whether this lies under {@code environment}'s {@code tenant}. */
        public boolean isOf(String environment, String tenant) {
            return environment.equals(this.environment) && tenant.equals(this.tenant);
        }
    }

    /** What {@code key} names; {@link Kind#OTHER} for anything this layout does not define. */
    public static Name parse(String key) {
        String[] p = key.split("/", -1);
        Name other = Name.of(Kind.OTHER, p.length > 1 ? p[0] : null, null);
        if (p.length < 3 || p[0].isEmpty() || p[1].isEmpty()) {
            return other;
        }
        String env = p[0];
        if (p[1].equals(QUARANTINE)) {
            return p.length == 3 && key.endsWith(".bin") ? Name.of(Kind.QUARANTINED, env, null) : other;
        }
        if (p[1].equals(AUDIT)) {
            return Name.of(Kind.AUDIT, env, null);
        }
        if (p[1].equals(CHAIN_HEADS)) {
            return p.length == 3 && p[2].matches("\\d{20}\\.json") ? Name.of(Kind.CHAIN_HEADS, env, null) : other;
        }
        if (isReserved(p[1])) {
            return other;
        }
        String tenant = p[1];
        String last = p[p.length - 1];
        switch (p[2]) {
            case MANIFESTS -> {
                if (p.length != 7 || !last.endsWith(".json") || !isDay(p[3], p[4], p[5])) {
                    return other;
                }
                String day = p[3] + "/" + p[4] + "/" + p[5];
                if (last.startsWith(REWRAP)) {
                    return Name.of(Kind.REWRAP_PART, env, tenant, day);
                }
                return last.matches("s\\d+-\\d{20}-\\d{20}\\.json") ? Name.of(Kind.MANIFEST_PART, env, tenant, day) : other;
            }
            case PRUNED -> {
                return p.length == 4 && last.endsWith(".json") ? Name.of(Kind.PRUNE_MARKER, env, tenant) : other;
            }
            case LEGAL_HOLDS -> {
                return p.length == 4 && last.endsWith(".json") ? Name.of(Kind.LEGAL_HOLD, env, tenant) : other;
            }
            case ATTESTED -> {
                return p.length == 4 && last.endsWith(".json") ? Name.of(Kind.ATTESTATION, env, tenant) : other;
            }
            default -> {
                return parseSegment(key, p, env, tenant, other);
            }
        }
    }

    private static Name parseSegment(String key, String[] p, String env, String tenant, Name other) {
        // env/tenant/stream/yyyy/MM/dd/pN/first-last-id.srseg
        if (p.length != 8 || isReserved(p[2]) || !isDay(p[3], p[4], p[5]) || !p[6].matches("p\\d{1,9}")
                || !key.endsWith(SEGMENT_SUFFIX)) {
            return other;
        }
        String file = p[7].substring(0, p[7].length() - SEGMENT_SUFFIX.length());
        String[] f = file.split("-", 3);
        if (f.length != 3 || f[2].isEmpty()) {
            return other;
        }
        try {
            return new Name(Kind.SEGMENT, env, tenant, f[2], p[2], Integer.parseInt(p[6].substring(1)),
                    Long.parseLong(f[0]), Long.parseLong(f[1]), p[3] + "/" + p[4] + "/" + p[5]);
        } catch (NumberFormatException e) {
            return other;
        }
    }

    private static boolean isDay(String y, String m, String d) {
        return y.matches("\\d{4}") && m.matches("\\d{2}") && d.matches("\\d{2}");
    }
}
