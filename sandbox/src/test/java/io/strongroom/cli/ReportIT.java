package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The compliance report names every backup of the tenant with its key and version, the rotations, verifications and audit
 * status; signed, it verifies offline, and a copy with one backup removed does not.
 */
class ReportIT {

    @Test
    void theReportListsEveryBackupWithItsKeyTheRotationsTheVerificationsAndTheAuditStatusAndIsSigned() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-report-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(400, 2, 59, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            assertThat(PipelineIT.run("keys", "rotate", "--config", cfg, "--tenant", "acme", "--principal", "ops").code()).isZero();
            assertThat(PipelineIT.run("verify", "--config", cfg, "--tenant", "acme").code()).isZero();
            Set<String> segments = new HashSet<>();
            try (S3Client s3 = sandbox.config().s3().client()) {
                s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents().stream()
                        .filter(o -> o.key().endsWith(".srseg")).forEach(o -> segments.add("s3://" + Sandbox.BUCKET + "/" + o.key()));
            }
            assertThat(segments).isNotEmpty();

            Path json = dir.resolve("report.json");
            Path html = dir.resolve("report.html");
            String env = sandbox.config().environment();
            SigningIdentity operator = IdentityFile.create(dir.resolve("operator.identity"), Role.OPERATOR, env);
            Path trust = dir.resolve("trust.json");
            TrustFile.empty(env).with(operator).write(trust);
            PipelineIT.Run run = PipelineIT.run("report", "--config", cfg, "--tenant", "acme", "--json", json.toString(),
                    "--html", html.toString(), "--principal", "auditor", "--sign-with", dir.resolve("operator.identity").toString());
            assertThat(run.code()).as(run.err()).isZero();
            for (Path signed : List.of(json, html)) { // offline: only the files and the trust file
                PipelineIT.Run checked = PipelineIT.run("report", "verify", signed.toString(), "--trust", trust.toString());
                assertThat(checked.code()).as(checked.out() + checked.err()).isZero();
                assertThat(checked.out()).contains("intact, signed by " + operator.keyId() + " (role OPERATOR)")
                        .contains("environment " + env).contains("tenant acme");
            }
            JsonNode r = new ObjectMapper().readTree(json.toFile());
            assertThat(r.get("ok").asBoolean()).as(r.get("problems").toString()).isTrue();
            assertThat(r.get("backupCount").asInt()).isEqualTo(segments.size());
            assertThat(r.get("catalogAuthenticated").asBoolean()).as("read from the signed catalog").isTrue();
            Set<String> listed = new HashSet<>();
            for (JsonNode b : r.get("backups")) {
                listed.add(b.get("object").asText());
                assertThat(b.get("keyId").asText()).isEqualTo("local://acme");
                assertThat(b.get("keyVersion").asText()).isEqualTo("1");
                assertThat(b.get("keyState").asText()).isEqualTo("ENABLED");
                assertThat(b.get("encryption").asText()).startsWith("AES-256-GCM");
                assertThat(b.get("sha256").asText()).hasSize(64);
            }
            assertThat(listed).isEqualTo(segments);
            assertThat(r.get("keyHistory").findValuesAsText("version")).containsExactlyInAnyOrder("1", "2");
            assertThat(r.get("keyHistory").findValuesAsText("state")).contains("PRIMARY", "ENABLED");
            assertThat(r.get("verifications").findValuesAsText("outcome")).isNotEmpty().allMatch("SUCCESS"::equals);
            assertThat(r.get("auditTrail").get("status").asText()).isEqualTo("intact");

            ObjectNode edited = (ObjectNode) new ObjectMapper().readTree(json.toFile()); // one backup hidden from the auditor
            ((ArrayNode) edited.get("backups")).remove(0);
            Path copy = dir.resolve("edited.json");
            Files.write(copy, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(edited));
            Files.copy(ReportSignature.signatureOf(json), ReportSignature.signatureOf(copy));
            PipelineIT.Run altered = PipelineIT.run("report", "verify", copy.toString(), "--trust", trust.toString());
            assertThat(altered.code()).isEqualTo(1);
            assertThat(altered.out()).contains("NOT TRUSTED, altered: ");

            String page = Files.readString(html);
            assertThat(page).startsWith("<!DOCTYPE html>").contains("Compliance report: tenant acme")
                    .contains("<td>local://acme</td>").contains("no problems");
            assertThat(page.split("<tr>", -1)).as("a row per backup, key version and verification, plus headers")
                    .hasSizeGreaterThan(segments.size() + 2 + 3);

            PipelineIT.Run range = PipelineIT.run("report", "--config", cfg, "--tenant", "acme", "--until", "2000-01-01T00:00:00Z");
            assertThat(range.code()).isZero();
            assertThat(range.out()).contains("\"backupCount\" : 0");
            PipelineIT.Run bad = PipelineIT.run("report", "--config", cfg, "--tenant", "acme", "--from", "last tuesday");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("--from must be an ISO-8601 instant");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    @Test
    void everyValueOnThePageIsEscaped() {
        assertThat(Html.esc("<script>alert('x')</script> & \"q\"")).isEqualTo(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    }
}
