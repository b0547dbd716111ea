package io.strongroom.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.audit.AuditingKms;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Access review of the admin API's principals: each one's roles and last activity (its newest event in
 * the audit trail). A principal inactive for longer than the policy period — counted from its last
 * activity, or from when a review first saw it if it never acted — is revoked: its token no longer
 * authenticates. Revocations and reinstatements are audited and survive restarts (a JSON file,
 * replaced atomically); the configuration is not changed.
 */
public final class AccessReview {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the review remembers.
     *
     * @param firstSeenMs when a review first saw each principal
     * @param revoked revoked principals: when and why
     */
    public record State(Map<String, Long> firstSeenMs, Map<String, Revocation> revoked) {}

    /** A revocation. */
    public record Revocation(long atMs, String reason) {}

    /**
     * One principal's line of the review.
     *
     * @param principal name
     * @param roles roles
     * @param lastActivity its newest audit event, or null if none
     * @param inactiveSince last activity, or when first seen
     * @param inactive whether that is longer ago than the policy period
     * @param revoked when it was revoked, or null
     */
    public record Row(String principal, Set<Principals.Role> roles, Instant lastActivity, Instant inactiveSince, boolean inactive,
            Instant revoked) {}

    private final Path file;
    private final Duration inactiveAfter;
    private final Clock clock;
    private State state;

    public AccessReview(Path file, Duration inactiveAfter, Clock clock) {
        this.file = file;
        this.inactiveAfter = inactiveAfter;
        this.clock = clock;
        this.state = load(file);
    }

    private static State load(Path file) {
        if (!Files.exists(file)) {
            return new State(new TreeMap<>(), new TreeMap<>());
        }
        try {
            State s = JSON.readValue(file.toFile(), State.class);
            return new State(new TreeMap<>(s.firstSeenMs() == null ? Map.of() : s.firstSeenMs()),
                    new TreeMap<>(s.revoked() == null ? Map.of() : s.revoked()));
        } catch (IOException e) {
            throw new IllegalStateException("access review state " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Whether {@code principal} was revoked (reads the file again: another process may have revoked it). */
    public synchronized boolean revoked(String principal) {
        state = load(file);
        return state.revoked().containsKey(principal);
    }

    /** The review of {@code principals} given each one's last activity; principals seen for the first time are noted. */
    public synchronized List<Row> review(Map<String, Principals.Principal> principals, Map<String, Instant> lastActivity) {
        state = load(file);
        Instant now = clock.instant();
        boolean changed = false;
        List<Row> rows = new ArrayList<>();
        for (var e : new TreeMap<>(principals).entrySet()) {
            String name = e.getKey();
            if (!state.firstSeenMs().containsKey(name)) {
                state.firstSeenMs().put(name, now.toEpochMilli());
                changed = true;
            }
            Instant last = lastActivity.get(name);
            Instant since = last != null ? last : Instant.ofEpochMilli(state.firstSeenMs().get(name));
            Revocation r = state.revoked().get(name);
            rows.add(new Row(name, e.getValue().roles(), last, since, since.plus(inactiveAfter).isBefore(now),
                    r == null ? null : Instant.ofEpochMilli(r.atMs())));
        }
        if (changed) {
            save();
        }
        return rows;
    }

    /** Revokes every inactive principal of {@code rows} not revoked yet, auditing each; returns their names. */
    public synchronized List<String> revokeInactive(List<Row> rows, AuditingKms audit, String by) {
        List<String> revoked = new ArrayList<>();
        for (Row row : rows) {
            if (row.inactive() && row.revoked() == null && !state.revoked().containsKey(row.principal())) {
                String reason = "inactive since " + row.inactiveSince() + " (longer than " + inactiveAfter + ")";
                state.revoked().put(row.principal(), new Revocation(clock.millis(), reason));
                save();
                audit.recordFor(by, AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null,
                        "ACCESS_REVOKED " + row.principal() + ": " + reason);
                revoked.add(row.principal());
            }
        }
        return revoked;
    }

    /** Lifts a revocation (its activity clock starts again now), audited. */
    public synchronized boolean reinstate(String principal, AuditingKms audit, String by) {
        state = load(file);
        if (state.revoked().remove(principal) == null) {
            return false;
        }
        state.firstSeenMs().put(principal, clock.millis());
        save();
        audit.recordFor(by, AuditAction.OTHER, AuditOutcome.SUCCESS, null, null, null, "ACCESS_REINSTATED " + principal);
        return true;
    }

    private void save() {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".access", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), state);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write access review state " + file + ": " + e.getMessage(), e);
        }
    }
}
