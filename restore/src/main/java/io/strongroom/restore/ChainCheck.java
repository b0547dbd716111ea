package io.strongroom.restore;

import io.strongroom.avro.SegmentHeader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks the hash chain of segment headers: per (tenant, source topic, partition), sorted by first
 * offset, each segment must name the previous one as its predecessor and offsets must not overlap.
 * A deleted, duplicated or reordered segment shows up as a problem naming both segments.
 */
final class ChainCheck {
    private ChainCheck() {}

    /** Problems found; empty if every chain is intact. */
    static List<String> problems(List<SegmentHeader> headers) {
        return problems(headers, java.util.Set.of());
    }

    /**
     * Problems found; empty if every chain is intact. A segment whose predecessor was pruned on purpose
     * (retention) may follow whatever came before that one.
     */
    static List<String> problems(List<SegmentHeader> headers, java.util.Set<String> pruned) {
        Map<String, List<SegmentHeader>> chains = new LinkedHashMap<>();
        for (SegmentHeader h : headers) {
            chains.computeIfAbsent(h.getTenant() + " " + h.getSourceTopic() + "/" + h.getSourcePartition(),
                    k -> new ArrayList<>()).add(h);
        }
        List<String> problems = new ArrayList<>();
        chains.forEach((chain, segments) -> {
            segments.sort(Comparator.comparingLong(SegmentHeader::getFirstOffset));
            SegmentHeader previous = null;
            for (SegmentHeader h : segments) {
                String expected = previous == null ? null : previous.getSegmentId();
                if (previous != null && h.getFirstOffset() <= previous.getLastOffset()) {
                    problems.add(chain + ": segments " + previous.getSegmentId() + " and " + h.getSegmentId()
                            + " overlap (offsets " + previous.getFirstOffset() + ".." + previous.getLastOffset() + " and "
                            + h.getFirstOffset() + ".." + h.getLastOffset() + ")");
                } else if (!Objects.equals(expected, h.getPredecessorSegmentId()) && !pruned.contains(h.getPredecessorSegmentId())) {
                    problems.add(chain + ": segment " + h.getSegmentId() + " (offsets " + h.getFirstOffset() + ".."
                            + h.getLastOffset() + ") follows " + h.getPredecessorSegmentId() + ", but the archive has "
                            + (expected == null ? "nothing before it" : expected) + ": a segment is missing");
                }
                previous = h;
            }
        });
        return problems;
    }
}
