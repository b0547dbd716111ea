package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strongroom report verify}, offline: a signed report verifies; the auditor's copy edited after signing,
 * signed by a key the trust file does not hold, by a role that may not sign reports, or carrying another
 * object's signature is refused with exit 1 naming why. No Kafka, S3 or KMS runs here.
 */
class ReportSignatureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    private SigningIdentity operator;
    private Path trust;
    private Path report;
    private Map<String, Object> facts;

    @BeforeEach
    void signedReport() throws Exception {
        operator = IdentityFile.create(dir.resolve("operator.identity"), Role.OPERATOR, "prod");
        SigningIdentity archiver = IdentityFile.create(dir.resolve("archiver.identity"), Role.ARCHIVER, "prod");
        trust = dir.resolve("trust.json");
        TrustFile.empty("prod").with(operator).with(archiver).write(trust);
        facts = fixture();
        report = dir.resolve("report.json");
        byte[] body = ReportCommand.json(facts);
        Files.write(report, body);
        ReportSignature.sign(operator, report, body, facts);
    }

    @Test
    void aSignedReportVerifiesOfflineNamingTheSigner() {
        CliRun.Run r = verify(report);
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out().strip()).doesNotContain("\n").startsWith(report + ": intact, signed by " + operator.keyId()
                + " (role OPERATOR) at ").contains("environment prod").contains("tenant acme")
                .contains("generated 2026-12-01T10:00:00Z");
    }

    @Test
    void aReportWithOneBackupRemovedAfterSigningIsAltered() throws Exception {
        ObjectNode edited = (ObjectNode) JSON.readTree(report.toFile());
        ((ArrayNode) edited.get("backups")).remove(1);
        edited.put("backupCount", 2);
        Files.write(report, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(edited));
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("NOT TRUSTED, altered: ").contains("changed since key " + operator.keyId()
                + " (role OPERATOR) signed it");
    }

    @Test
    void oneByteChangedIsAltered() throws Exception {
        byte[] b = Files.readAllBytes(report);
        String s = new String(b, StandardCharsets.UTF_8).replace("\"events\" : 40", "\"events\" : 41");
        assertThat(s).isNotEqualTo(new String(b, StandardCharsets.UTF_8));
        Files.writeString(report, s);
        assertThat(verify(report).out()).contains("altered");
    }

    @Test
    void aSignatureRewrittenForTheEditedReportDoesNotVerify() throws Exception {
        // the attacker edits the report, then puts its digest into the signature file's context
        Files.writeString(report, Files.readString(report).replace("\"events\" : 40", "\"events\" : 0"));
        Path sig = ReportSignature.signatureOf(report);
        ObjectNode envelope = (ObjectNode) JSON.readTree(sig.toFile());
        envelope.put("context", "sha256:" + ReportSignature.sha256(Files.readAllBytes(report)));
        Files.write(sig, JSON.writeValueAsBytes(envelope));
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("altered: ").contains("does not verify");
    }

    @Test
    void aReportSignedByAKeyNotInTheTrustFileIsRefused() throws Exception {
        SigningIdentity stranger = SigningIdentity.generate(Role.OPERATOR, "prod");
        ReportSignature.sign(stranger, report, Files.readAllBytes(report), facts);
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("unknown key: ").contains(stranger.keyId());
    }

    @Test
    void aReportSignedByARoleThatMayNotSignReportsIsRefused() throws Exception {
        SigningIdentity archiver = IdentityFile.load(dir.resolve("archiver.identity")); // trusted, but for manifests
        ReportSignature.signUnchecked(archiver, report, Files.readAllBytes(report), facts);
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("wrong role: ").contains(archiver.keyId());
    }

    @Test
    void anotherObjectsSignatureIsTheWrongType() throws Exception {
        byte[] body = Files.readAllBytes(report);
        Files.write(ReportSignature.signatureOf(report),
                Signed.sign(operator, "manifest", "sha256:" + ReportSignature.sha256(body), body));
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("wrong type: ");
    }

    @Test
    void aReportWithoutItsSignatureIsRefused() throws Exception {
        Files.delete(ReportSignature.signatureOf(report));
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("missing signature: ");
        Files.writeString(ReportSignature.signatureOf(report), "{\"not\": \"an envelope\"}");
        assertThat(verify(report).out()).contains("missing signature: ");
    }

    @Test
    void aReportSignedForAnotherEnvironmentIsRefused() throws Exception {
        // the same operator key pinned for prod and staging: a staging report is no prod evidence
        SigningIdentity staging = SigningIdentity.generate(Role.OPERATOR, "staging");
        ReportSignature.sign(staging, report, Files.readAllBytes(report), facts);
        Path stagingTrust = dir.resolve("staging-trust.json");
        TrustFile.empty("staging").with(staging).write(stagingTrust);
        Files.writeString(trust, Files.readString(stagingTrust).replace("\"staging\"", "\"prod\""));
        assertThat(TrustFile.load(trust).environment()).isEqualTo("prod");
        CliRun.Run r = verify(report);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("wrong environment: ").contains("staging");
    }

    @Test
    void aSignedHtmlPageVerifiesAndARemovedRowIsAltered() throws Exception {
        Path page = dir.resolve("report.html");
        byte[] html = ReportCommand.html(facts).getBytes(StandardCharsets.UTF_8);
        Files.write(page, html);
        ReportSignature.sign(operator, page, html, facts);
        assertThat(verify(page).code()).isZero();
        String s = Files.readString(page);
        int row = s.indexOf("<tr><td>2026-11-30T02:00:00Z");
        assertThat(row).isPositive();
        Files.writeString(page, s.substring(0, row) + s.substring(s.indexOf("</tr>", row) + "</tr>".length()));
        CliRun.Run r = verify(page);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("altered");
    }

    @Test
    void badArgumentsAreOneLineAndExitCode2() throws Exception {
        CliRun.Run missing = CliRun.run("report", "verify", dir.resolve("nope.json").toString(), "--trust", trust.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("strongroom report verify: " + dir.resolve("nope.json")
                + " does not exist or is not a file");
        Path garbage = dir.resolve("garbage.json");
        Files.writeString(garbage, "not json");
        CliRun.Run badTrust = CliRun.run("report", "verify", report.toString(), "--trust", garbage.toString());
        assertThat(badTrust.code()).isEqualTo(2);
        assertThat(badTrust.err().strip()).startsWith("strongroom report verify: --trust " + garbage + " cannot be read as a "
                + "trust file").doesNotContain("\n");
        CliRun.Run noTrust = CliRun.run("report", "verify", report.toString(), "--trust", dir.resolve("none").toString());
        assertThat(noTrust.code()).isEqualTo(2);
        assertThat(noTrust.err()).contains("--trust " + dir.resolve("none") + " does not exist");
        CliRun.Run noTrustOption = CliRun.run("report", "verify", report.toString());
        assertThat(noTrustOption.code()).isEqualTo(2);
        assertThat(noTrustOption.err()).contains("Missing required option: '--trust=TRUSTFILE'");
    }

    @Test
    void reportRefusesToSignWithARoleThatMayNotSignReportsBeforeAskingAnyService() {
        CliRun.Run r = CliRun.run("report", "--config", dir.resolve("unused.yaml").toString(), "--tenant", "acme",
                "--json", dir.resolve("out.json").toString(), "--sign-with", dir.resolve("archiver.identity").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).contains("is an identity of role ARCHIVER, which may not sign a report").doesNotContain("\n");
        assertThat(dir.resolve("out.json")).doesNotExist();
        CliRun.Run noFile = CliRun.run("report", "--config", dir.resolve("unused.yaml").toString(), "--tenant", "acme",
                "--sign-with", dir.resolve("operator.identity").toString());
        assertThat(noFile.code()).isEqualTo(2);
        assertThat(noFile.err()).contains("--sign-with needs --json FILE or --html FILE");
        CliRun.Run noConfig = CliRun.run("report", "--tenant", "acme");
        assertThat(noConfig.code()).isEqualTo(2);
        assertThat(noConfig.err()).contains("Missing required option: '--config=FILE'");
    }

    private CliRun.Run verify(Path file) {
        return CliRun.run("report", "verify", file.toString(), "--trust", trust.toString());
    }

    /** A report as ReportCommand.report makes it, of three backups. */
    private static Map<String, Object> fixture() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("environment", "prod");
        r.put("tenant", "acme");
        r.put("from", "1970-01-01T00:00:00Z");
        r.put("until", "2026-12-01T10:00:00Z");
        r.put("generatedAt", "2026-12-01T10:00:00Z");
        r.put("ok", true);
        r.put("backupCount", 3);
        r.put("backups", List.of(backup(1, "2026-11-30T01:00:00Z"), backup(2, "2026-11-30T02:00:00Z"),
                backup(3, "2026-11-30T03:00:00Z")));
        r.put("keyHistory", List.of(Map.of("keyId", "local://acme", "version", "1", "state", "PRIMARY")));
        r.put("verifications", List.of());
        r.put("auditTrail", Map.of("status", "intact", "events", 12, "emitters", 3, "signedCheckpoints", 1));
        r.put("problems", List.of());
        return r;
    }

    private static Map<String, Object> backup(int n, String sealedAt) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("segmentId", "seg-" + n);
        b.put("object", "s3://backups/prod/acme/orders/0/seg-" + n + ".srseg");
        b.put("sealedAt", sealedAt);
        b.put("events", 40);
        b.put("keyId", "local://acme");
        b.put("keyVersion", "1");
        b.put("keyState", "ENABLED");
        b.put("sha256", "ab".repeat(32));
        return b;
    }
}
