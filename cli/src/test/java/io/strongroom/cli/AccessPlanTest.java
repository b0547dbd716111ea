package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloud policies {@code strongroom acls} prints, parsed back: each role is granted exactly the KMS and S3 actions its
 * code calls, on Strongroom's keys only (tagged {@code strongroom:tenant}), under this environment's encryption context,
 * and every role but the coordinator is denied the audit signing KEK.
 */
class AccessPlanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEYS = "arn:aws:kms:eu-west-1:*:key/*";
    private static final String ALIASES = "arn:aws:kms:eu-west-1:*:alias/strongroom-*";
    private static final String BUCKET = "arn:aws:s3:::backups";
    private static final String OBJECTS = "arn:aws:s3:::backups/prod/*";
    private static final String STRONGROOM_KEY = "\"Null\": {\"aws:ResourceTag/strongroom:tenant\": \"false\"}";
    private static final String IN_ENVIRONMENT = STRONGROOM_KEY + ", \"StringEquals\": {\"kms:EncryptionContext:environment\": \"prod\"}";
    private static final List<String> NO_AUDIT_KEK = List.of(
            deny("kms:*", "*", "\"StringEquals\": {\"aws:ResourceTag/strongroom:tenant\": \"strongroom-audit\"}"),
            deny("kms:*", "*", "\"ForAnyValue:StringLike\": {\"kms:ResourceAliases\": "
                    + "[\"alias/strongroom-strongroom-audit\", \"alias/strongroom-strongroom-audit/*\"]}"));
    private static final List<String> FIND_PRIMARY = List.of(
            allow("kms:DescribeKey", KEYS, STRONGROOM_KEY), allow("kms:ListAliases", "*", null));

    @TempDir Path dir;

    private static String statement(String effect, String actions, String resources, String condition) {
        return "{\"Effect\": \"" + effect + "\", \"Action\": [" + quoted(actions) + "], \"Resource\": [" + quoted(resources) + "]"
                + (condition == null ? "" : ", \"Condition\": {" + condition + "}") + "}";
    }

    private static String quoted(String commaSeparated) {
        return String.join(", ", Arrays.stream(commaSeparated.split(",")).map(s -> "\"" + s.strip() + "\"").toList());
    }

    private static String allow(String actions, String resources, String condition) {
        return statement("Allow", actions, resources, condition);
    }

    private static String deny(String actions, String resources, String condition) {
        return statement("Deny", actions, resources, condition);
    }

    @SafeVarargs
    private static Set<JsonNode> expected(List<String>... groups) throws Exception {
        Set<JsonNode> out = new HashSet<>();
        for (List<String> g : groups) {
            for (String s : g) {
                out.add(normalized(JSON.readTree(s)));
            }
        }
        return out;
    }

    /** A statement without its Sid, with Action and Resource as sorted arrays (the policy grammar allows a string too). */
    private static JsonNode normalized(JsonNode statement) {
        ObjectNode s = statement.deepCopy();
        s.remove("Sid");
        for (String field : List.of("Action", "Resource")) {
            JsonNode v = s.get(field);
            TreeSet<String> values = new TreeSet<>();
            if (v != null && v.isArray()) {
                v.forEach(x -> values.add(x.asText()));
            } else if (v != null) {
                values.add(v.asText());
            }
            ArrayNode sorted = s.putArray(field);
            values.forEach(sorted::add);
        }
        return s;
    }

    /** The policy printed for each service, its statements normalized. */
    private static Map<String, Set<JsonNode>> printedPolicies(String out) throws Exception {
        Map<String, Set<JsonNode>> policies = new LinkedHashMap<>();
        String[] lines = out.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("# ") && lines[i].endsWith(": S3 and KMS (IAM-style policy)")) {
                String service = lines[i].substring(2, lines[i].indexOf(':'));
                StringBuilder json = new StringBuilder();
                for (i++; i < lines.length && !lines[i].isBlank(); i++) {
                    json.append(lines[i]).append('\n');
                }
                JsonNode policy = JSON.readTree(json.toString());
                assertThat(policy.path("Version").asText()).isEqualTo("2012-10-17");
                Set<JsonNode> statements = new HashSet<>();
                List<JsonNode> all = new ArrayList<>();
                policy.path("Statement").forEach(all::add);
                all.forEach(s -> statements.add(normalized(s)));
                assertThat(statements).as("%s: no statement twice", service).hasSameSizeAs(all);
                policies.put(service, statements);
            }
        }
        return policies;
    }

    private Path config() throws Exception {
        Path f = dir.resolve("strongroom.yaml");
        Files.writeString(f, "environment: prod\ns3:\n  bucket: backups\nkms:\n  type: aws-kms\n  aws:\n    region: eu-west-1\n");
        return f;
    }

    @Test
    void eachRolesPolicyGrantsExactlyItsActionsOnItsResources() throws Exception {
        CliRun.Run r = CliRun.run("acls", "--config", config().toString());
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Set<JsonNode>> policies = printedPolicies(r.out());
        assertThat(policies.keySet()).containsExactly("ingest", "encryptor", "archiver", "coordinator", "anomaly", "restore");

        assertThat(policies.get("ingest")).as("ingest").isEqualTo(expected(NO_AUDIT_KEK, FIND_PRIMARY,
                List.of(allow("kms:Encrypt", KEYS, IN_ENVIRONMENT))));
        assertThat(policies.get("encryptor")).as("encryptor").isEqualTo(expected(NO_AUDIT_KEK, FIND_PRIMARY,
                List.of(allow("kms:Encrypt, kms:Decrypt", KEYS, IN_ENVIRONMENT))));
        assertThat(policies.get("archiver")).as("archiver").isEqualTo(expected(List.of(
                allow("s3:PutObject, s3:GetObject, s3:PutObjectRetention", OBJECTS, null),
                allow("s3:ListBucket", BUCKET, null),
                deny("kms:*", "*", null))));
        assertThat(policies.get("anomaly")).as("anomaly").isEqualTo(expected(List.of(deny("kms:*", "*", null))));
        assertThat(policies.get("restore")).as("restore").isEqualTo(expected(NO_AUDIT_KEK, List.of(
                allow("s3:GetObject", OBJECTS, null),
                allow("s3:ListBucket", BUCKET, null),
                allow("kms:Decrypt", KEYS, IN_ENVIRONMENT))));
        assertThat(policies.get("coordinator")).as("coordinator").isEqualTo(expected(List.of(
                allow("kms:CreateKey, kms:TagResource", "*", "\"ForAllValues:StringEquals\": {\"aws:TagKeys\": [\"strongroom:tenant\"]}"),
                allow("kms:DescribeKey, kms:EnableKey, kms:DisableKey, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion, "
                        + "kms:CreateAlias, kms:UpdateAlias", KEYS, STRONGROOM_KEY),
                allow("kms:CreateAlias, kms:UpdateAlias", ALIASES, null),
                allow("kms:ListAliases", "*", null),
                allow("kms:Encrypt, kms:Decrypt", KEYS, IN_ENVIRONMENT),
                allow("s3:GetObject, s3:PutObject", OBJECTS, null),
                allow("s3:ListBucket", BUCKET, null))));
    }

    @Test
    void aRestoreRoleCanBeNarrowedToTenantsThroughTheEncryptionContext() throws Exception {
        CliRun.Run r = CliRun.run("acls", "--config", config().toString(), "--service", "restore", "--tenant", "acme",
                "--tenant", "globex");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(printedPolicies(r.out()).get("restore")).isEqualTo(expected(NO_AUDIT_KEK, List.of(
                allow("s3:GetObject", OBJECTS, null),
                allow("s3:ListBucket", BUCKET, null),
                allow("kms:Decrypt", KEYS, STRONGROOM_KEY + ", \"StringEquals\": {\"kms:EncryptionContext:environment\": \"prod\", "
                        + "\"kms:EncryptionContext:tenant\": [\"acme\", \"globex\"]}"))));
    }

    /** The unwrap cache follows {@code strongroom.keys}: a service that unwraps and cannot read it keeps a disabled version's keys. */
    @Test
    void everyServiceThatUnwrapsMayReadKeyStates() throws Exception {
        for (String service : List.of("ingest", "encryptor", "restore", "coordinator")) {
            CliRun.Run r = CliRun.run("acls", "--config", config().toString(), "--service", service);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).as(service).contains("--allow-principal User:" + service + " --operation READ --topic strongroom.keys");
        }
        CliRun.Run archiver = CliRun.run("acls", "--config", config().toString(), "--service", "archiver");
        assertThat(archiver.out()).as("the archiver holds no key").doesNotContain("strongroom.keys");
    }
}
