package io.strongroom.coordinator.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.coordinator.Principals;
import io.strongroom.crypto.kms.DestroyApproval;
import io.strongroom.crypto.kms.KeyVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Requests that need two security officers: destroying a key version, crypto-shredding a tenant
 * (destroying every version of its key) and enabling a disabled version. Each approval is by a
 * distinct security officer with a valid TOTP code, within the approval window of the request;
 * the requester's own approval counts only if they are a security officer too, and never twice.
 * Requests survive restarts (a JSON file, replaced atomically).
 */
public final class DualControl {
    /** What is requested. */
    public enum Action { DESTROY_VERSION, SHRED_TENANT, ENABLE_VERSION }

    /** Where a request stands. */
    public enum State { PENDING, APPROVED, EXPIRED }

    /**
     * A request.
     *
     * @param id its id
     * @param action what
     * @param tenant whose key
     * @param version which version (null for a shred)
     * @param reason why
     * @param requestedBy who asked
     * @param requestedAtMs when
     * @param approvals who approved, in order
     * @param state where it stands
     * @param approvedAtMs when each of {@code approvals} was given (null in requests filed before it was recorded)
     */
    public record Request(String id, Action action, String tenant, String version, String reason, String requestedBy,
            long requestedAtMs, List<String> approvals, State state, List<Long> approvedAtMs) {
        /**
         * The approval to record with each key version this request schedules for destruction: its id and each
         * approver with the time of their approval. Null unless the request is approved.
         */
        public DestroyApproval destroyApproval() {
            if (state != State.APPROVED || approvedAtMs == null || approvedAtMs.size() != approvals.size()) {
                return null;
            }
            List<DestroyApproval.Approval> list = new ArrayList<>();
            for (int i = 0; i < approvals.size(); i++) {
                list.add(new DestroyApproval.Approval(approvals.get(i), Instant.ofEpochMilli(approvedAtMs.get(i))));
            }
            return new DestroyApproval(id, list);
        }
    }

    /** The outcome of an approval: why it was refused, or that it completed the request. */
    public record Outcome(boolean accepted, boolean complete, String message, Request request) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Principals principals;
    private final Duration window;
    private final Map<String, Request> requests = new LinkedHashMap<>();

    /**
     * @param file where requests are kept
     * @param window how long a request collects approvals
     */
    public DualControl(Path file, Principals principals, Duration window) {
        this.file = file;
        this.principals = principals;
        this.window = window;
        if (Files.exists(file)) {
            try {
                for (Request r : JSON.readValue(file.toFile(), Request[].class)) {
                    requests.put(r.id(), r);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read dual-control requests " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Files a request; only operators and security officers may. */
    public synchronized Request request(Action action, String tenant, String version, String reason, String by, Instant now) {
        if (!principals.has(by, Principals.Role.OPERATOR) && !principals.has(by, Principals.Role.SECURITY_OFFICER)) {
            throw new SecurityException(by + " may not request " + action + " (needs the operator or security-officer role)");
        }
        if (action != Action.SHRED_TENANT && (version == null || version.isBlank())) {
            throw new IllegalArgumentException(action + " needs a version");
        }
        Request r = new Request(UUID.randomUUID().toString(), action, tenant, version, reason, by, now.toEpochMilli(),
                List.of(), State.PENDING, List.of());
        requests.put(r.id(), r);
        save();
        return r;
    }

    /** Records an approval, or says why it is refused. */
    public synchronized Outcome approve(String id, String by, String totp, Instant now) {
        Request r = requests.get(id);
        if (r == null) {
            return new Outcome(false, false, "no request " + id, null);
        }
        if (r.state() != State.PENDING) {
            return new Outcome(false, false, "request " + id + " is " + r.state(), r);
        }
        if (now.isAfter(Instant.ofEpochMilli(r.requestedAtMs()).plus(window))) {
            r = with(r, r.approvals(), r.approvedAtMs(), State.EXPIRED);
            return new Outcome(false, false, "request " + id + " expired: approvals must come within " + window + " of it", r);
        }
        if (!principals.has(by, Principals.Role.SECURITY_OFFICER)) {
            return new Outcome(false, false, by + " is not a security officer", r);
        }
        if (r.approvals().contains(by)) {
            return new Outcome(false, false, by + " already approved request " + id + ": a second security officer must", r);
        }
        Principals.TotpResult code = principals.verifyTotp(by, totp, now);
        if (code == Principals.TotpResult.LOCKED) {
            return new Outcome(false, false, by + " is locked after " + principals.maxFailures()
                    + " failed TOTP codes; another security officer must unlock " + by, r);
        }
        if (code != Principals.TotpResult.ACCEPTED) {
            return new Outcome(false, false, "wrong, old or reused TOTP code for " + by + (code == Principals.TotpResult.LOCKED_NOW
                    ? "; " + by + " is now locked after " + principals.maxFailures() + " failed codes" : ""), r);
        }
        List<String> approvals = new ArrayList<>(r.approvals());
        approvals.add(by);
        List<Long> times = new ArrayList<>(r.approvedAtMs() == null ? List.of() : r.approvedAtMs());
        times.add(now.toEpochMilli());
        boolean complete = approvals.size() >= 2;
        r = with(r, approvals, times, complete ? State.APPROVED : State.PENDING);
        return new Outcome(true, complete, complete ? "approved by " + String.join(" and ", approvals)
                : "1 of 2 approvals; a second security officer must approve", r);
    }

    /**
     * Why the destruction approval recorded with {@code version} of {@code tenant}'s key is not one of these
     * requests (approved, for that destruction or a shred of that tenant, by the same approvers at the same
     * times); null if it is.
     */
    public synchronized String confirmsDestruction(String tenant, KeyVersion version) {
        DestroyApproval recorded = version.approval();
        if (recorded == null) {
            return "no approval recorded";
        }
        Request r = requests.get(recorded.requestId());
        if (r == null) {
            return "the recorded approval names request " + recorded.requestId() + ", which this coordinator never filed ("
                    + file + ")";
        }
        boolean covers = r.tenant().equals(tenant) && (r.action() == Action.SHRED_TENANT
                || r.action() == Action.DESTROY_VERSION && version.version().equals(r.version()));
        if (!covers) {
            return "request " + r.id() + " is " + r.action() + " of tenant " + r.tenant()
                    + (r.version() == null ? "" : " version " + r.version()) + ", not a destruction of this version";
        }
        if (!recorded.equals(r.destroyApproval())) {
            return "request " + r.id() + " is " + r.state() + " with approvals " + r.approvals()
                    + ", which is not what is recorded with the version (" + recorded + ")";
        }
        return null;
    }

    public synchronized List<Request> all() {
        return List.copyOf(requests.values());
    }

    private Request with(Request r, List<String> approvals, List<Long> approvedAtMs, State state) {
        Request next = new Request(r.id(), r.action(), r.tenant(), r.version(), r.reason(), r.requestedBy(), r.requestedAtMs(),
                List.copyOf(approvals), state, approvedAtMs == null ? null : List.copyOf(approvedAtMs));
        requests.put(next.id(), next);
        save();
        return next;
    }

    private void save() {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".requests", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), requests.values());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save dual-control requests " + file + ": " + e.getMessage(), e);
        }
    }
}
