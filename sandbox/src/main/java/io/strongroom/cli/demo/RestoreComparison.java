package io.strongroom.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.testkit.CdcProducer.Produced;
import io.strongroom.testkit.CdcRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares a JSONL restore with the records that were produced: every record restored exactly
 * once (matched by source topic/partition/offset), with its original key, row images, op,
 * headers and timestamp, and the events of each key in their original order.
 *
 * @param expected records produced
 * @param restored lines in the restore
 * @param missing produced but not restored
 * @param duplicates restored more than once
 * @param unexpected restored but never produced
 * @param mismatched restored with a different key, value, op, headers or timestamp
 * @param outOfOrder events restored before an earlier event of the same key
 * @param examples up to five descriptions of problems
 */
public record RestoreComparison(long expected, long restored, long missing, long duplicates, long unexpected,
        long mismatched, long outOfOrder, List<String> examples) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    /** Whether the restore equals what was produced. */
    public boolean matches() {
        return missing == 0 && duplicates == 0 && unexpected == 0 && mismatched == 0 && outOfOrder == 0 && expected == restored;
    }

    /** Compares {@code jsonl} with {@code produced}. */
    public static RestoreComparison compare(List<Produced> produced, Path jsonl) {
        Map<String, Produced> byId = new HashMap<>();
        for (Produced p : produced) {
            byId.put(p.record().topic() + "/" + p.partition() + "/" + p.offset(), p);
        }
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Long> lastOffsetOfKey = new HashMap<>();
        List<String> examples = new ArrayList<>();
        long restored = 0;
        long duplicates = 0;
        long unexpected = 0;
        long mismatched = 0;
        long outOfOrder = 0;
        try (BufferedReader in = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                restored++;
                JsonNode e = JSON.readTree(line);
                String id = e.get("eventId").asText();
                if (seen.merge(id, 1, Integer::sum) > 1) {
                    duplicates++;
                    note(examples, "duplicate " + id);
                    continue;
                }
                Produced p = byId.get(id);
                if (p == null) {
                    unexpected++;
                    note(examples, "unexpected " + id);
                    continue;
                }
                String difference = difference(p.record(), e);
                if (difference != null) {
                    mismatched++;
                    note(examples, id + ": " + difference);
                }
                String keyId = p.record().topic() + "|" + B64.encodeToString(p.record().key());
                Long last = lastOffsetOfKey.put(keyId, p.offset());
                if (last != null && last > p.offset()) {
                    outOfOrder++;
                    note(examples, id + " restored after offset " + last + " of the same key");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read restore " + jsonl + ": " + e.getMessage(), e);
        }
        long missing = byId.keySet().stream().filter(id -> !seen.containsKey(id)).count();
        byId.keySet().stream().filter(id -> !seen.containsKey(id)).limit(3).forEach(id -> note(examples, "missing " + id));
        return new RestoreComparison(produced.size(), restored, missing, duplicates, unexpected, mismatched, outOfOrder,
                List.copyOf(examples));
    }

    private static String difference(CdcRecord r, JsonNode e) throws IOException {
        if (!B64.encodeToString(r.key()).equals(e.path("originalKeyBase64").asText())) {
            return "key differs";
        }
        if (r.timestampMs() != e.path("source").path("timestampMs").asLong()) {
            return "timestamp differs";
        }
        List<String> headers = new ArrayList<>();
        r.headers().forEach(h -> headers.add(h.getKey() + "=" + (h.getValue() == null ? null : B64.encodeToString(h.getValue()))));
        List<String> restoredHeaders = new ArrayList<>();
        e.path("headers").forEach(h -> restoredHeaders.add(h.get("key").asText() + "="
                + (h.get("valueBase64").isNull() ? null : h.get("valueBase64").asText())));
        if (!headers.equals(restoredHeaders)) {
            return "headers differ";
        }
        if (r.value() == null) {
            return "TOMBSTONE".equals(e.path("op").asText()) ? null : "tombstone restored as " + e.path("op").asText();
        }
        JsonNode payload = JSON.readTree(r.value());
        if (payload.has("schema") && payload.has("payload")) {
            payload = payload.get("payload");
        }
        String op = switch (payload.get("op").asText()) {
            case "c" -> "CREATE";
            case "u" -> "UPDATE";
            case "d" -> "DELETE";
            case "r" -> "READ";
            default -> "?";
        };
        if (!op.equals(e.path("op").asText())) {
            return "op differs";
        }
        for (String field : List.of("before", "after")) {
            if (!Objects.equals(payload.get(field), e.get(field))) {
                return field + " differs";
            }
        }
        if (!Objects.equals(payload.get("source"), e.get("sourceInfo"))) {
            return "source info differs";
        }
        return payload.path("ts_ms").asLong() == e.path("eventTimeMs").asLong() ? null : "event time differs";
    }

    private static void note(List<String> examples, String what) {
        if (examples.size() < 5) {
            examples.add(what);
        }
    }
}
