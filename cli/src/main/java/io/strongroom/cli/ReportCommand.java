package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.archive.Manifests;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditTrailReader;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code strongroom report}: compliance evidence for a tenant and a time range — every backup with its
 * encryption, key and version, the key's rotation history, the verification results and the audit
 * trail's status — as JSON and as a readable HTML page. Reads manifests, key metadata and the audit
 * topic; decrypts nothing. Audited.
 */
@Command(name = "report", mixinStandardHelpOptions = true, subcommands = ReportVerifyCommand.class,
        description = "Compliance evidence for a tenant: every backup sealed in the range with its encryption, key id and "
                + "version, the key's rotation timestamps, verification results and the audit-chain status, as JSON (stdout or "
                + "--json) and HTML (--html), signed with --sign-with (FILE.sig beside each; check it with report verify). Decrypts "
                + "nothing; exit 1 if the evidence shows a problem.")
final class ReportCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    // --config and --tenant are checked in call(), not by picocli: it would ask for them before "report verify" too.
    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (see README: Configuration). Keys can be overridden with STRONGROOM_* variables.")
    Path configFile;
    @Mixin PrincipalOption principal;
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--tenant", description = "The tenant (required).")
    String tenant;

    @Option(names = "--from", paramLabel = "TIME", description = "Backups sealed at or after TIME (ISO-8601 instant; default: all).")
    String from;

    @Option(names = "--until", paramLabel = "TIME", description = "Backups sealed at or before TIME (default: now).")
    String until;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON here instead of stdout.")
    Path json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a readable HTML page.")
    Path html;

    @Option(names = "--sign-with", paramLabel = "IDENTITY_FILE",
            description = "Sign the report with this identity (role operator or coordinator): writes FILE.sig beside --json "
                    + "and --html; strongroom report verify checks it offline. Default: the operator identity of "
                    + "identity.directory, if configured.")
    Path signWith;

    private Instant time(String option, String value, Instant otherwise) {
        return value == null ? otherwise : Args.instant(spec, option, value);
    }

    @Override
    public Integer call() throws Exception {
        if (configFile == null || tenant == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '"
                    + (configFile == null ? "--config=FILE" : "--tenant=<tenant>") + "'");
        }
        SigningIdentity signer = null;
        if (signWith != null) { // before any service is asked: a report that cannot be signed is not made
            if (json == null && html == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--sign-with needs --json FILE or --html FILE (the signature is written beside it as FILE.sig)");
            }
            signer = IdentityFile.load(signWith);
            if (!ReportSignature.SIGNERS.contains(signer.role())) {
                throw new IllegalArgumentException("--sign-with " + signWith + ": " + signer.keyId() + " is an identity of role "
                        + signer.role() + ", which may not sign a report (allowed: " + ReportSignature.SIGNERS + ")");
            }
        }
        Instant fromTime = time("--from", from, Instant.EPOCH);
        Instant untilTime = time("--until", until, Instant.now());
        if (fromTime.isAfter(untilTime)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--from " + fromTime + " is after --until " + untilTime);
        }
        StrongroomConfig c = ConfigLoader.load(configFile, System.getenv());
        if (signer != null && !signer.environment().equals(c.environment())) {
            throw new IllegalArgumentException("--sign-with " + signWith + ": " + signer.keyId() + " is of environment "
                    + signer.environment() + ", this report of " + c.environment());
        }
        if (signer == null && (json != null || html != null) && c.identity().directory() != null) {
            signer = c.signingIdentity(Role.OPERATOR); // identity.directory: signed by default
        }
        Map<String, Object> report;
        try (AuditingKms kms = KmsFactory.create(c, principal.audited()); S3Client s3 = c.s3().client()) {
            report = report(c, kms, s3, tenant, fromTime, untilTime);
        }
        byte[] body = json(report);
        if (json != null) {
            Files.write(json, body);
        } else {
            System.out.write(body);
            System.out.println();
        }
        byte[] page = html == null ? null : html(report).getBytes(StandardCharsets.UTF_8);
        if (html != null) {
            Files.write(html, page);
        }
        if (signer != null) {
            if (json != null) {
                System.err.println("signed " + json + ": " + ReportSignature.sign(signer, json, body, report));
            }
            if (html != null) {
                System.err.println("signed " + html + ": " + ReportSignature.sign(signer, html, page, report));
            }
            System.err.println("as " + signer.keyId() + " (role " + signer.role() + ", environment " + signer.environment()
                    + "); check with: strongroom report verify FILE --trust TRUSTFILE");
        }
        System.err.printf("report for tenant %s: %s backups, audit trail %s%s%n", tenant, report.get("backupCount"),
                ((Map<?, ?>) report.get("auditTrail")).get("status"), json != null || html != null ? " (written to "
                        + (json != null ? json : "") + (json != null && html != null ? " and " : "") + (html != null ? html : "") + ")" : "");
        return Boolean.TRUE.equals(report.get("ok")) ? 0 : 1;
    }

    /** The evidence, as a JSON-ready map. */
    static Map<String, Object> report(StrongroomConfig c, AuditingKms kms, S3Client s3, String tenant, Instant from, Instant until) {
        List<String> problems = new ArrayList<>();
        TrustFile trust = c.trust(); // read once: catalog and audit trail alike
        ArchiveReader reader = new ArchiveReader(s3, c.s3().bucket(), kms, c.kms().timeout(), trust);
        ArchiveReader.Catalog catalog = reader.catalog(ArchiveLayout.tenantPrefix(c.environment(), tenant));
        problems.addAll(catalog.problems());
        List<Map<String, Object>> backups = new ArrayList<>();
        Map<String, List<KeyVersion>> keys = new TreeMap<>();
        for (Manifests.Entry e : catalog.entries().values()) {
            if (catalog.pruned().contains(e.segmentId()) || e.sealedAtMs() < from.toEpochMilli() || e.sealedAtMs() > until.toEpochMilli()) {
                continue;
            }
            keys.computeIfAbsent(e.keyId(), id -> Kmses.await(kms.describe(id), c.kms().timeout()));
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("segmentId", e.segmentId());
            b.put("object", "s3://" + c.s3().bucket() + "/" + e.objectKey());
            b.put("sealedAt", Instant.ofEpochMilli(e.sealedAtMs()).toString());
            b.put("stream", e.stream() + "/" + e.sourcePartition() + " offsets " + e.firstOffset() + "-" + e.lastOffset());
            b.put("events", e.recordCount());
            b.put("classification", e.classification());
            b.put("encryption", "AES-256-GCM, its own data key (" + (e.dekAlgorithm() == null ? "AES256_GCM" : e.dekAlgorithm())
                    + "), envelope-encrypted under the tenant's KEK");
            b.put("keyId", e.keyId());
            b.put("keyVersion", e.keyVersion());
            b.put("rewrappedAt", e.rewrappedAtMs() == null ? null : Instant.ofEpochMilli(e.rewrappedAtMs()).toString());
            b.put("sha256", e.sha256());
            backups.add(b);
        }
        backups.sort(Comparator.comparing(b -> (String) b.get("sealedAt")));
        List<Map<String, Object>> keyHistory = new ArrayList<>();
        keys.forEach((id, versions) -> versions.forEach(v -> {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("keyId", id);
            k.put("version", v.version());
            k.put("state", v.state().name());
            k.put("createdAt", String.valueOf(v.createdAt()));
            k.put("changedAt", String.valueOf(v.changedAt()));
            k.put("destroyAt", v.destroyAt() == null ? null : v.destroyAt().toString());
            keyHistory.add(k);
        }));
        for (Map<String, Object> b : backups) { // a backup whose key version cannot unwrap any more is evidence of a problem
            String state = keyHistory.stream().filter(k -> k.get("keyId").equals(b.get("keyId")) && k.get("version").equals(b.get("keyVersion")))
                    .map(k -> (String) k.get("state")).findFirst().orElse("UNKNOWN");
            b.put("keyState", state);
            if (!state.equals("PRIMARY") && !state.equals("ENABLED")) {
                problems.add(b.get("object") + " is under " + b.get("keyId") + " version " + b.get("keyVersion") + ", which is " + state);
            }
        }
        List<AuditVerifier.Positioned> events = AuditTrailReader.read(c.kafka().clientProperties(), Topics.AUDIT.name());
        // with identity.trust-file, only verifications on chains signed by the principal they name are listed
        AuditVerifier.Report chain = AuditVerifier.verify(events, trust);
        List<Map<String, Object>> verifications = new ArrayList<>();
        for (AuditVerifier.Positioned p : events) {
            AuditEvent e = p.event();
            if (chain.authenticity() != null && !chain.authenticity().isAuthentic(p.position())) {
                continue;
            }
            if (e.getAction() == AuditAction.VERIFY && (tenant.equals(e.getTenant()) || e.getTenant() == null)) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("at", Instant.ofEpochMilli(e.getTimestampMs()).toString());
                v.put("by", e.getPrincipal());
                v.put("outcome", e.getOutcome().name());
                v.put("detail", e.getDetail());
                v.put("auditEvent", p.position());
                verifications.add(v);
            }
        }
        List<String> auditProblems = new ArrayList<>(chain.problems());
        AuditCheck.Checked checked = AuditCheck.againstCheckpoints(c, events, auditProblems);
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("status", auditProblems.isEmpty() ? "intact" : "DAMAGED");
        audit.put("events", chain.events());
        audit.put("emitters", chain.emitters().size());
        if (chain.authenticity() != null) {
            audit.put("authenticEvents", chain.authenticity().authentic().size());
            audit.put("awaitingSignature", chain.authenticity().awaitingSignature());
        }
        audit.put("signedCheckpoints", Math.max(0, checked.checkpoints()));
        if (checked.newest() != null) { // its age: a newest one much older than the interval means newer ones were deleted
            audit.put("newestCheckpoint", Map.of("object", checked.newest().where(),
                    "signedAt", Instant.ofEpochMilli(checked.newest().body().createdAtMs()).toString(),
                    "ageSeconds", checked.newestAge().toSeconds(), "maxAgeSeconds", c.audit().checkpointMaxAge().toSeconds()));
        }
        audit.put("checkpointProblems", checked.problems());
        audit.put("problems", auditProblems);
        problems.addAll(auditProblems);

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("environment", c.environment());
        report.put("tenant", tenant);
        report.put("from", from.toString());
        report.put("until", until.toString());
        report.put("generatedAt", Instant.now().toString());
        report.put("ok", problems.isEmpty());
        // whether the backups listed were read from a catalog signed by its writers (identity.trust-file), and the
        // newest signed chain heads they were checked against
        report.put("catalogAuthenticated", catalog.authenticated());
        report.put("chainHeads", catalog.heads() == null ? null : Map.of("checkpoint", catalog.heads().key(),
                "sequence", catalog.heads().checkpoint().sequence(),
                "signedAt", Instant.ofEpochMilli(catalog.heads().checkpoint().createdAtMs()).toString()));
        report.put("backupCount", backups.size());
        report.put("backups", backups);
        report.put("keyHistory", keyHistory);
        report.put("verifications", verifications);
        report.put("auditTrail", audit);
        report.put("problems", problems);
        kms.record(AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, null,
                "compliance report " + from + " .. " + until + ": " + backups.size() + " backups");
        return report;
    }

    /** The evidence as written to --json: pretty-printed, one field per line. */
    static byte[] json(Map<String, Object> report) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report);
    }

    /** A readable page of the same evidence; every value is HTML-escaped. */
    static String html(Map<String, Object> r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Strongroom compliance report: ")
                .append(Html.esc(r.get("tenant"))).append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
                        + "collapse;margin-bottom:2em}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;font-size:13px}"
                        + "th{background:#eee}.bad{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}</style></head><body>");
        h.append("<h1>Compliance report: tenant ").append(Html.esc(r.get("tenant"))).append("</h1>");
        h.append("<p>Environment ").append(Html.esc(r.get("environment"))).append(", backups sealed from ").append(Html.esc(r.get("from")))
                .append(" until ").append(Html.esc(r.get("until"))).append("; generated ").append(Html.esc(r.get("generatedAt"))).append(".</p>");
        boolean ok = Boolean.TRUE.equals(r.get("ok"));
        h.append("<p>Result: <span class=\"").append(ok ? "ok\">no problems" : "bad\">problems found").append("</span></p>");
        Map<?, ?> heads = (Map<?, ?>) r.get("chainHeads");
        h.append("<p>Catalog: ").append(Boolean.TRUE.equals(r.get("catalogAuthenticated"))
                ? "<span class=\"ok\">signed by its writers, checked against the trust file</span>"
                : "<span class=\"bad\">not authenticated (no identity.trust-file)</span>")
                .append(heads == null ? "; no signed chain heads" : "; chain heads checked against signed checkpoint "
                        + Html.esc(heads.get("sequence")) + " of " + Html.esc(heads.get("signedAt"))).append(".</p>");
        table(h, "Backups (" + r.get("backupCount") + ")", r.get("backups"),
                List.of("sealedAt", "segmentId", "stream", "events", "classification", "encryption", "keyId", "keyVersion", "keyState",
                        "rewrappedAt", "object"));
        table(h, "Key versions and rotations", r.get("keyHistory"), List.of("keyId", "version", "state", "createdAt", "changedAt", "destroyAt"));
        table(h, "Verifications", r.get("verifications"), List.of("at", "by", "outcome", "detail", "auditEvent"));
        Map<?, ?> audit = (Map<?, ?>) r.get("auditTrail");
        h.append("<h2>Audit trail</h2><p>Status: <span class=\"").append("intact".equals(audit.get("status")) ? "ok" : "bad").append("\">")
                .append(Html.esc(audit.get("status"))).append("</span>; ").append(Html.esc(audit.get("events"))).append(" events from ")
                .append(Html.esc(audit.get("emitters"))).append(" emitters, checked against ").append(Html.esc(audit.get("signedCheckpoints")))
                .append(" signed checkpoints");
        if (audit.get("newestCheckpoint") instanceof Map<?, ?> newest) {
            h.append("; the newest, ").append(Html.esc(newest.get("object"))).append(", signed ").append(Html.esc(newest.get("signedAt")))
                    .append(", is ").append(Html.esc(newest.get("ageSeconds"))).append(" s old (at most ")
                    .append(Html.esc(newest.get("maxAgeSeconds"))).append(" s allowed)");
        }
        h.append(".</p>");
        if (audit.get("checkpointProblems") instanceof List<?> chainProblems && !chainProblems.isEmpty()) {
            h.append("<p>Signed checkpoints:</p><ul>");
            chainProblems.forEach(p -> h.append("<li class=\"bad\">").append(Html.esc(p)).append("</li>"));
            h.append("</ul>");
        }
        List<?> problems = (List<?>) r.get("problems");
        if (!problems.isEmpty()) {
            h.append("<h2>Problems</h2><ul>");
            problems.forEach(p -> h.append("<li class=\"bad\">").append(Html.esc(p)).append("</li>"));
            h.append("</ul>");
        }
        return h.append("</body></html>\n").toString();
    }

    private static void table(StringBuilder h, String title, Object rows, List<String> columns) {
        h.append("<h2>").append(Html.esc(title)).append("</h2><table><tr>");
        columns.forEach(col -> h.append("<th>").append(Html.esc(col)).append("</th>"));
        h.append("</tr>");
        for (Object row : (List<?>) rows) {
            h.append("<tr>");
            columns.forEach(col -> h.append("<td>").append(Html.esc(((Map<?, ?>) row).get(col))).append("</td>"));
            h.append("</tr>");
        }
        h.append("</table>");
    }
}
