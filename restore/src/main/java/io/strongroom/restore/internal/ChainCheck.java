package io.strongroom.restore.internal;

import io.strongroom.avro.SegmentHeader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks the hash chain of segment headers: per (tenant, source topic, partition), sorted by first
 * offset, each segment must name the previous one as its predecessor and offsets must not overlap.
 * A deleted, duplicated or reordered segment shows up as a problem naming both segments.
 */
public final class ChainCheck {
    private ChainCheck() {}

    /**
     * What the check needs of a segment.
     *
     * @param tenant tenant
     * @param sourceTopic stream it came from
     * @param partition partition of the stream
     * @param firstOffset first offset it holds
     * @param lastOffset last offset
     * @param segmentId its id
     * @param predecessorSegmentId the segment it names as its predecessor, or null
     */
    public record Link(String tenant, String sourceTopic, int partition, long firstOffset, long lastOffset, String segmentId,
            String predecessorSegmentId) {
        /** The link of the segment {@code h} heads. */
        public static Link of(SegmentHeader h) {
            return new Link(h.getTenant(), h.getSourceTopic(), h.getSourcePartition(), h.getFirstOffset(), h.getLastOffset(),
                    h.getSegmentId(), h.getPredecessorSegmentId());
        }

        /** One line, tab-separated (no field holds a tab or a newline: tenant and topic names cannot). */
        public String format() {
            return String.join("\t", tenant, sourceTopic, String.valueOf(partition), String.valueOf(firstOffset),
                    String.valueOf(lastOffset), segmentId, predecessorSegmentId == null ? "" : predecessorSegmentId);
        }

        /** The link {@link #format} wrote as {@code line}. */
        public static Link parse(String line) {
            String[] f = line.split("\t", -1);
            if (f.length != 7) {
                throw new IllegalArgumentException("not a chain link: " + line);
            }
            return new Link(f[0], f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), f[5],
                    f[6].isEmpty() ? null : f[6]);
        }
    }

    /** Problems found; empty if every chain is intact. */
    static List<String> problems(List<SegmentHeader> headers) {
        return check(headers.stream().map(Link::of).toList(), Set.of());
    }

    /**
     * Problems found; empty if every chain is intact. A segment whose predecessor was pruned on purpose
     * (retention) may follow whatever came before that one.
     */
    public static List<String> check(List<Link> links, Set<String> pruned) {
        Map<String, List<Link>> chains = new LinkedHashMap<>();
        for (Link h : links) {
            chains.computeIfAbsent(h.tenant() + " " + h.sourceTopic() + "/" + h.partition(), k -> new ArrayList<>()).add(h);
        }
        List<String> problems = new ArrayList<>();
        chains.forEach((chain, segments) -> {
            segments.sort(Comparator.comparingLong(Link::firstOffset));
            Link previous = null;
            for (Link h : segments) {
                String expected = previous == null ? null : previous.segmentId();
                if (previous != null && h.firstOffset() <= previous.lastOffset()) {
                    problems.add(chain + ": segments " + previous.segmentId() + " and " + h.segmentId()
                            + " overlap (offsets " + previous.firstOffset() + ".." + previous.lastOffset() + " and "
                            + h.firstOffset() + ".." + h.lastOffset() + ")");
                } else if (!Objects.equals(expected, h.predecessorSegmentId()) && !pruned.contains(h.predecessorSegmentId())) {
                    problems.add(chain + ": segment " + h.segmentId() + " (offsets " + h.firstOffset() + ".."
                            + h.lastOffset() + ") follows " + h.predecessorSegmentId() + ", but the archive has "
                            + (expected == null ? "nothing before it" : expected) + ": a segment is missing");
                }
                previous = h;
            }
        });
        return problems;
    }
}
