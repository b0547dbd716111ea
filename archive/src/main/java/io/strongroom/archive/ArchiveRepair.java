package io.strongroom.archive;

import io.strongroom.crypto.Segment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Makes every target hold every archive object: lists each target under a prefix and copies what a
 * target lacks from one that has it. A copied segment is checked (its CRC32C) before it is written,
 * and written like the archiver writes it (conditional PUT, same metadata); nothing is overwritten.
 * Two targets holding different objects under one name are reported, never "repaired".
 */
public final class ArchiveRepair {
    private ArchiveRepair() {}

    /**
     * What a repair did.
     *
     * @param objects distinct object names seen across targets
     * @param copied objects copied, per target name
     * @param conflicts names present on several targets with different sizes
     */
    public record Result(int objects, Map<String, Integer> copied, List<String> conflicts) {
        public int totalCopied() {
            return copied.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** Each target's objects under {@code prefix}: key → size. */
    private static List<Map<String, Long>> listings(List<ArchiveTarget> targets, String prefix) {
        List<Map<String, Long>> listings = new ArrayList<>();
        for (ArchiveTarget t : targets) {
            Map<String, Long> sizes = new TreeMap<>();
            for (S3Object o : t.client().listObjectsV2Paginator(b -> b.bucket(t.bucket()).prefix(prefix)).contents()) {
                sizes.put(o.key(), o.size());
            }
            listings.add(sizes);
        }
        return listings;
    }

    /** What differs between targets under {@code prefix}, without changing anything: one line per object. */
    public static List<String> differences(List<ArchiveTarget> targets, String prefix) {
        List<Map<String, Long>> listings = listings(targets, prefix);
        TreeSet<String> all = new TreeSet<>();
        listings.forEach(l -> all.addAll(l.keySet()));
        List<String> out = new ArrayList<>();
        for (String key : all) {
            List<String> missing = new ArrayList<>();
            Set<Long> sizes = new HashSet<>();
            for (int i = 0; i < targets.size(); i++) {
                Long size = listings.get(i).get(key);
                if (size == null) {
                    missing.add(targets.get(i).name());
                } else {
                    sizes.add(size);
                }
            }
            if (!missing.isEmpty()) {
                out.add(key + " is missing from " + String.join(", ", missing) + " (strongroom archive repair)");
            } else if (sizes.size() > 1) {
                out.add(key + " has different sizes on different targets: " + sizes);
            }
        }
        return out;
    }

    /**
     * Repairs {@code targets} under {@code prefix}.
     *
     * @param progress called after each object with (objects done, objects in all)
     */
    public static Result run(List<ArchiveTarget> targets, String prefix, BiConsumer<Integer, Integer> progress) {
        List<Map<String, Long>> listings = listings(targets, prefix);
        TreeSet<String> all = new TreeSet<>();
        listings.forEach(l -> all.addAll(l.keySet()));
        Map<String, Integer> copied = new LinkedHashMap<>();
        targets.forEach(t -> copied.put(t.name(), 0));
        List<String> conflicts = new ArrayList<>();
        int done = 0;
        for (String key : all) {
            Long size = null;
            int source = -1;
            for (int i = 0; i < targets.size(); i++) {
                Long s = listings.get(i).get(key);
                if (s != null) {
                    if (size != null && !size.equals(s)) {
                        conflicts.add(key + ": " + targets.get(source).name() + " has " + size + " bytes, "
                                + targets.get(i).name() + " has " + s);
                    }
                    if (source < 0) {
                        source = i;
                        size = s;
                    }
                }
            }
            byte[] bytes = null;
            for (int i = 0; i < targets.size(); i++) {
                if (listings.get(i).containsKey(key)) {
                    continue;
                }
                if (bytes == null) {
                    ArchiveTarget from = targets.get(source);
                    bytes = from.client().getObjectAsBytes(b -> b.bucket(from.bucket()).key(key)).asByteArray();
                }
                copy(targets.get(i), key, bytes, targets.get(source).name());
                copied.merge(targets.get(i).name(), 1, Integer::sum);
            }
            progress.accept(++done, all.size());
        }
        return new Result(all.size(), copied, conflicts);
    }

    private static void copy(ArchiveTarget to, String key, byte[] bytes, String fromName) {
        if (ArchiveLayout.parse(key).kind() == ArchiveLayout.Kind.SEGMENT) {
            // parse checks the body's CRC32C: a damaged source copy is never spread
            Segment segment = Segment.parse("s3://" + fromName + "/" + key, bytes);
            new SegmentWriter(to).write(key, segment.header(), ByteBuffer.wrap(bytes));
            return;
        }
        // written meanwhile (by the archiver) if already present
        to.putIfAbsent(key, bytes, key.endsWith(".json") ? "application/json" : "application/octet-stream", null);
    }
}
