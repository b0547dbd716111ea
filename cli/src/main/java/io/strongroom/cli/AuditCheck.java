package io.strongroom.cli;

import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditVerifier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The audit trail checked against its signed checkpoints: what {@code audit verify} and the report both check. */
final class AuditCheck {
    private AuditCheck() {}

    /**
     * What the events were checked against.
     *
     * @param checkpoints how many signed checkpoints; -1 if there is no signing key yet
     * @param newest the newest checkpoint, or null if there is none
     * @param newestAge its age, or null
     * @param problems the checkpoints' own problems (also added to the caller's): unreadable or forged ones, the chain's
     *     gaps, replaced checkpoints and forks, a stale newest one, none at all
     */
    record Checked(int checkpoints, AuditCheckpoints.Stored newest, Duration newestAge,
            List<String> problems) {}

    /**
     * Checks {@code events} (topic order) against the signed checkpoints in S3, and the checkpoints as a chain; adds what
     * does not match to {@code problems}: a gap, replaced checkpoint or fork of the chain, a newest checkpoint older than
     * {@code audit.checkpoint-interval} × {@code audit.stale-after-intervals} (newer ones deleted, or the coordinator
     * stopped signing), and, while an audit key exists, no checkpoint at all though events older than that exist.
     */
    static Checked againstCheckpoints(StrongroomConfig c, List<AuditVerifier.Positioned> events, List<String> problems) {
        try (var s3 = c.s3().client()) {
            AuditCheckpointStore store = new AuditCheckpointStore(c.auditCheckpoints(), s3);
            var verifier = store.verifier(w -> System.err.println("warning: " + w));
            if (verifier == null) {
                return new Checked(-1, null, null, List.of());
            }
            var chain = store.chain(verifier);
            List<String> own = new ArrayList<>(chain.problems());
            problems.addAll(AuditCheckpoints.check(chain.bodies(), events));
            Instant now = Instant.now();
            Duration limit = c.audit().checkpointMaxAge();
            String allowed = limit.toSeconds() + "s allowed (audit.stale-after-intervals " + c.audit().staleAfterIntervals()
                    + " x audit.checkpoint-interval " + c.audit().checkpointInterval() + ")";
            var newest = chain.newest();
            Duration age = chain.newestAge(now);
            if (newest != null && age.compareTo(limit) > 0) {
                own.add(newest.where() + ": the newest audit checkpoint is " + age.toSeconds() + "s old (signed "
                        + Instant.ofEpochMilli(newest.body().createdAtMs()) + "), more than the " + allowed
                        + ": newer ones deleted, or the coordinator stopped signing");
            } else if (newest == null) {
                long oldest = events.stream().mapToLong(p -> p.event().getTimestampMs()).min().orElse(Long.MAX_VALUE);
                if (oldest != Long.MAX_VALUE && Duration.between(Instant.ofEpochMilli(oldest), now).compareTo(limit) > 0) {
                    own.add("s3://" + c.s3().bucket() + "/" + store.checkpointPrefix() + ": no signed audit checkpoint, though "
                            + "the audit key exists and the trail has events since " + Instant.ofEpochMilli(oldest)
                            + ", longer ago than the " + allowed + ": checkpoints deleted, or the coordinator does not sign them");
                }
            }
            problems.addAll(own);
            return new Checked(chain.checkpoints().size(), newest, age, List.copyOf(own));
        }
    }
}
