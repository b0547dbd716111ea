package io.strongroom.cli;

import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.KeyRotator;
import java.util.Map;
import java.util.stream.Collectors;

/** The coordinator's status page ({@code GET /status}): read-only, no secrets, refreshes itself every 30 s. */
final class StatusPage {
    private StatusPage() {}

    static String html(CoordinatorService.Status s) {
        String env = Html.esc(s.environment());
        StringBuilder h = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"refresh\" content=\"30\"><title>Strongroom status: " + env
                + "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
                + "td,th{border:1px solid #bbb;padding:4px 10px;text-align:left}th{background:#eee}.bad{color:#b00;font-weight:bold}"
                + ".ok{color:#070;font-weight:bold}</style></head><body>");
        h.append("<h1>Strongroom status: ").append(env).append("</h1><p>As of ").append(s.at()).append("</p>");
        h.append("<h2>Key rotation</h2><table id=\"rotation\"><tr><th>tenant</th><th>key</th><th>primary</th><th>primary since</th>"
                + "<th>next rotation</th><th>status</th><th>segments per version</th><th>last test restore</th></tr>");
        for (CoordinatorService.TenantStatus t : s.tenants()) {
            h.append("<tr><td>").append(Html.esc(t.tenant())).append("</td>");
            KeyRotator.Status k = t.key();
            if (k == null) {
                h.append("<td colspan=\"6\">").append(Html.esc(t.problem())).append("</td>");
            } else {
                h.append("<td>").append(Html.esc(k.keyId())).append("</td><td>v").append(Html.esc(k.primaryVersion()))
                        .append("</td><td>").append(k.primarySince()).append("</td><td>").append(k.nextRotation())
                        .append("</td><td class=\"").append(t.overdue() ? "bad\">OVERDUE" : "ok\">on schedule").append("</td><td>")
                        .append(Html.esc(perVersion(t.segmentsPerVersion()))).append("</td>");
            }
            CoordinatorService.Verification v = t.lastTestRestore();
            h.append("<td>").append(v == null ? "not yet" : (v.ok() ? "<span class=\"ok\">ok</span>"
                    : "<span class=\"bad\">FAILED</span>") + " at " + v.at()).append("</td></tr>");
        }
        h.append("</table>");
        h.append("<h2>Restores</h2><p>Test restore success rate: <b id=\"restore-rate\">")
                .append(String.format("%.0f %%", 100.0 * s.testRestoreSuccessRate())).append("</b> of ")
                .append(s.testRestores()).append(" scheduled test restores.</p>");
        h.append("<h2>Consumer lag</h2><table id=\"lag\"><tr><th>service</th><th>group</th><th>records behind</th></tr>");
        for (CoordinatorService.GroupLag g : s.lag()) {
            h.append("<tr><td>").append(Html.esc(g.service())).append("</td><td>").append(Html.esc(g.groupId()))
                    .append("</td><td>").append(g.behind() != null ? String.format("%,d", g.behind()) : Html.esc(g.note()))
                    .append("</td></tr>");
        }
        h.append("</table><h2>KMS latency (this coordinator)</h2><table id=\"kms\"><tr><th>operation</th><th>calls</th><th>mean</th></tr>");
        s.kmsLatency().forEach((operation, l) -> h.append("<tr><td>").append(Html.esc(operation)).append("</td><td>")
                .append(l.calls()).append("</td><td>").append(String.format("%.2f ms", l.meanMs())).append("</td></tr>"));
        h.append("</table><h2>Audit trail</h2><p>Last signed checkpoint: ").append(s.lastAuditCheckpoint() == null
                ? "none yet (every " + s.checkpointInterval() + ")" : s.lastAuditCheckpoint().toString()).append("</p>");
        return h.append("</body></html>\n").toString();
    }

    /** {@code v3: 12, v4: 2}: segments per key version ({@code keyId/version}). */
    private static String perVersion(Map<String, Integer> references) {
        return references.entrySet().stream()
                .map(r -> "v" + r.getKey().substring(r.getKey().lastIndexOf('/') + 1) + ": " + r.getValue())
                .collect(Collectors.joining(", "));
    }
}
