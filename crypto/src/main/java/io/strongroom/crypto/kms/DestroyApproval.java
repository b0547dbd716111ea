package io.strongroom.crypto.kms;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The approved dual-control request that scheduled a key version's destruction, as recorded with the
 * version: the request id and each approving security officer with the time of their approval.
 *
 * @param requestId the dual-control request
 * @param approvals who approved it and when, in order
 */
public record DestroyApproval(String requestId, List<Approval> approvals) {
    /**
     * One approval.
     *
     * @param principal the approving security officer
     * @param at when they approved
     */
    public record Approval(String principal, Instant at) {}

    public DestroyApproval {
        approvals = approvals == null ? List.of() : List.copyOf(approvals);
    }

    /**
     * Why this record does not show two approvals by distinct principals of request {@code requestId}, each
     * with a time no later than {@code latest}; null if it does.
     */
    public String problem(Instant latest) {
        if (requestId == null || requestId.isBlank()) {
            return "the approval names no dual-control request";
        }
        Set<String> principals = new HashSet<>();
        for (Approval a : approvals) {
            if (a == null || a.principal() == null || a.principal().isBlank() || a.at() == null) {
                return "request " + requestId + " has an approval without a principal or a time";
            }
            if (a.at().isAfter(latest)) {
                return "request " + requestId + " has an approval by " + a.principal() + " dated after " + latest;
            }
            principals.add(a.principal());
        }
        if (principals.size() < 2) {
            return "request " + requestId + " has " + principals.size() + " distinct approver(s), needs 2";
        }
        return null;
    }

    @Override
    public String toString() {
        return "request " + requestId + " approved by " + String.join(" and ",
                approvals.stream().map(a -> a.principal() + " at " + a.at()).toList());
    }
}
