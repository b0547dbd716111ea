package io.strongroom.restore;

import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.ArchiveRepair;
import io.strongroom.archive.ArchiveTarget;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A test restore: every segment (or a sample) of an environment or a tenant fetched, its data key unwrapped, its body
 * authenticated and decrypted, every chain checked against the catalog (and, under a trust file, the signed chain
 * heads), and every replica compared with the primary; audited as {@code VERIFY}. What {@code strongroom verify} and
 * the coordinator's scheduled verification both run.
 */
public final class Verifier {
    private Verifier() {}

    /**
     * What to verify.
     *
     * @param environment the environment
     * @param tenant one tenant, or null for all
     * @param sample the fraction of segments to decrypt, in (0, 1], or null for all
     * @param since only segments sealed on or after this day, or null
     * @param parallelism segments fetched at once ({@code restore.parallelism})
     */
    public record Request(String environment, String tenant, Double sample, LocalDate since, int parallelism) {
        public Request {
            Objects.requireNonNull(environment, "environment");
            if (sample != null && (sample <= 0 || sample > 1)) {
                throw new IllegalArgumentException("the verify sample must be in (0, 1], got " + sample);
            }
        }
    }

    /**
     * What a verification found.
     *
     * @param authenticated whether the catalog was checked against a trust file
     * @param catalog what the catalog was authenticated against, as a sentence
     * @param problems one line per damaged, missing or undecryptable object, broken chain or differing replica
     */
    public record Report(String environment, String tenant, boolean authenticated, String catalog, double sample,
            LocalDate since, int segments, long events, long bytes, List<String> problems, Duration elapsed,
            Instant verifiedAt) {
        public Report {
            problems = List.copyOf(problems);
        }

        /** What the {@code VERIFY} audit event says of it. */
        public String auditDetail() {
            return "verified " + segments + " segments, " + events + " events"
                    + (ok() ? "" : ", " + problems.size() + " problems");
        }

        /** Nothing damaged, missing or undecryptable. */
        public boolean ok() {
            return problems.isEmpty();
        }

        /** The report as {@code strongroom verify} prints it (JSON field order). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("environment", environment);
            m.put("tenant", tenant == null ? "*" : tenant);
            m.put("ok", ok());
            m.put("authenticated", authenticated);
            m.put("catalog", catalog);
            m.put("sample", sample);
            m.put("since", since == null ? null : since.toString());
            m.put("segments", segments);
            m.put("events", events);
            m.put("bytes", bytes);
            m.put("problems", problems);
            m.put("elapsedMs", elapsed.toMillis());
            m.put("verifiedAt", verifiedAt.toString());
            return m;
        }
    }

    /**
     * Verifies what {@code reader} reads and compares {@code targets} (the primary first, then the replicas; fewer than
     * two: nothing to compare). The caller audits the outcome ({@link Report#auditDetail}) as {@code VERIFY}: every data
     * key unwrapped on the way is audited by the reader's KMS.
     */
    public static Report verify(ArchiveReader reader, List<ArchiveTarget> targets, Request request, boolean authenticated,
            RestoreJob.Progress progress) {
        RestoreJob.Result r = RestoreJob.run(reader, new RestoreJob.Options(request.environment(), request.tenant(), null,
                null, request.parallelism(), null, null, null, request.sample(), request.since()), progress);
        List<String> problems = new ArrayList<>(r.problems());
        if (targets.size() > 1) { // every target must hold the same objects
            String prefix = request.tenant() == null ? ArchiveLayout.environmentPrefix(request.environment())
                    : ArchiveLayout.tenantPrefix(request.environment(), request.tenant());
            ArchiveRepair.differences(targets, prefix).forEach(d -> problems.add("replicas differ: " + d));
        }
        Instant now = Instant.now();
        return new Report(request.environment(), request.tenant(), authenticated, r.authenticity(now),
                request.sample() == null ? 1.0 : request.sample(), request.since(), r.segments(), r.events(), r.bytes(),
                problems, r.elapsed(), now);
    }
}
