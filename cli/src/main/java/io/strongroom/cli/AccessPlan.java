package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.kms.aws.AwsKms;
import io.strongroom.crypto.kms.aws.AwsKmsConfig;
import io.strongroom.schemas.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Least privilege: the minimal Kafka ACLs of each service's principal ({@code User:<service>}), and an
 * IAM-style policy of what each may do in S3 and the KMS. What is not listed is denied.
 */
final class AccessPlan {
    /** The services, each its own principal. */
    static final List<String> SERVICES = List.of("ingest", "encryptor", "archiver", "coordinator", "anomaly", "restore");

    private final StrongroomConfig config;

    AccessPlan(StrongroomConfig config) {
        this.config = config;
    }

    /** Every service's ACLs, by service. */
    Map<String, List<AclBinding>> kafkaAcls() {
        Map<String, List<AclBinding>> out = new LinkedHashMap<>();
        for (String s : SERVICES) {
            out.put(s, kafkaAcls(s));
        }
        return out;
    }

    /** The ACLs of one service's principal. */
    List<AclBinding> kafkaAcls(String service) {
        Acls a = new Acls("User:" + service);
        String audit = Topics.AUDIT.name();
        switch (service) {
            case "ingest" -> {
                a.topicPrefix("cdc.", AclOperation.READ, AclOperation.DESCRIBE); // the CDC topics (ingest.topic-pattern)
                a.topic(Topics.CHANGES.name(), AclOperation.WRITE, AclOperation.DESCRIBE);
                a.topic(Topics.INGEST_DLQ.name(), AclOperation.WRITE, AclOperation.DESCRIBE);
                a.topic(audit, AclOperation.WRITE, AclOperation.DESCRIBE); // its dead-letter keys are audited
                a.topic(Topics.KEYS.name(), AclOperation.READ, AclOperation.DESCRIBE); // its unwrap cache follows key states
                a.streamsApp(config.ingest().applicationId());
            }
            case "encryptor" -> {
                a.topic(Topics.CHANGES.name(), AclOperation.READ, AclOperation.DESCRIBE);
                a.topic(Topics.KEYS.name(), AclOperation.READ, AclOperation.DESCRIBE);
                a.topic(Topics.SEGMENTS.name(), AclOperation.WRITE, AclOperation.DESCRIBE);
                a.topic(audit, AclOperation.WRITE, AclOperation.DESCRIBE);
                a.streamsApp(config.encryptor().applicationId());
            }
            case "archiver" -> {
                a.topic(Topics.SEGMENTS.name(), AclOperation.READ, AclOperation.DESCRIBE);
                a.topic(Topics.ARCHIVE_INDEX.name(), AclOperation.WRITE, AclOperation.DESCRIBE);
                a.group(config.archiver().groupId(), AclOperation.READ, AclOperation.DESCRIBE);
            }
            case "coordinator" -> {
                for (var t : Topics.ALL) { // it creates Strongroom's topics
                    a.topic(t.name(), AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
                }
                a.topic(Topics.KEYS.name(), AclOperation.WRITE, AclOperation.READ);
                a.topic(audit, AclOperation.WRITE, AclOperation.READ); // audits, and signs checkpoints of the trail
                a.topic(Topics.ARCHIVE_INDEX.name(), AclOperation.READ);
                for (String group : List.of(config.ingest().applicationId(), config.encryptor().applicationId(),
                        config.archiver().groupId(), config.anomaly().applicationId())) {
                    a.group(group, AclOperation.DESCRIBE); // consumer lag on the status page
                }
                for (String topic : List.of(Topics.CHANGES.name(), Topics.SEGMENTS.name(), audit)) {
                    a.topic(topic, AclOperation.DESCRIBE);
                }
            }
            case "anomaly" -> {
                a.topic(audit, AclOperation.READ, AclOperation.DESCRIBE);
                a.topic(Topics.KEYS.name(), AclOperation.READ, AclOperation.DESCRIBE);
                a.topic(Topics.ALERTS.name(), AclOperation.WRITE, AclOperation.DESCRIBE);
                a.streamsApp(config.anomaly().applicationId());
            }
            case "restore" -> {
                a.topic(audit, AclOperation.WRITE, AclOperation.DESCRIBE); // every unwrap is audited
                a.topic(Topics.KEYS.name(), AclOperation.READ, AclOperation.DESCRIBE); // a disabled version leaves its unwrap cache at once
                // restore to Kafka: the target topic is granted per restore (kafka-acls --add --topic T --operation Write);
                // its transactions and the group that records its checkpoints are its own
                a.transactionalIdPrefix("strongroom-restore-");
                a.groupPrefix("strongroom-restore-", AclOperation.READ, AclOperation.DESCRIBE);
            }
            default -> throw new IllegalArgumentException("unknown service " + service + ", one of " + SERVICES);
        }
        return a.bindings;
    }

    /** As {@link #cloudPolicy(String, List)} for every tenant. */
    Map<String, Object> cloudPolicy(String service) {
        return cloudPolicy(service, List.of());
    }

    /**
     * An IAM-style policy document (AWS grammar) of what {@code service} may do in S3 and the KMS (the aws-kms backend).
     * KMS rights are the calls the backend makes for that role, on Strongroom's keys only (tagged {@code strongroom:tenant},
     * as the coordinator creates them), and the cryptographic ones only under this environment's encryption context
     * ({@code kms:EncryptionContext:environment}). Every role but the coordinator is explicitly denied the audit signing
     * KEK (by its tag and by its aliases); the archiver and the anomaly detector are denied the KMS altogether.
     *
     * @param tenants if not empty, restore's unwraps are narrowed to these tenants ({@code kms:EncryptionContext:tenant})
     */
    Map<String, Object> cloudPolicy(String service, List<String> tenants) {
        String bucket = "arn:aws:s3:::" + config.s3().bucket();
        String objects = bucket + "/" + config.environment() + "/*";
        AwsKmsConfig aws = config.kms().settings(AwsKmsConfig.class);
        String region = aws.region() == null ? "*" : aws.region();
        String prefix = aws.aliasPrefix();
        String keys = "arn:aws:kms:" + region + ":*:key/*";
        String aliases = "arn:aws:kms:" + region + ":*:" + prefix + "*";
        Map<String, Object> strongroomKey = Map.of("Null", Map.of("aws:ResourceTag/" + AwsKms.TENANT_TAG, "false"));
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("kms:EncryptionContext:" + AwsKms.ENVIRONMENT_CONTEXT, config.environment());
        Map<String, Object> inEnvironment = new LinkedHashMap<>(strongroomKey);
        inEnvironment.put("StringEquals", context);
        List<Map<String, Object>> statements = new ArrayList<>();
        switch (service) {
            case "ingest" -> {
                statements.add(statement("SealDeadLetters", "Allow", List.of("kms:Encrypt"), keys, inEnvironment));
                findPrimaryVersions(statements, keys, strongroomKey);
                denyAuditKek(statements, prefix);
            }
            case "encryptor" -> {
                // Decrypt: a segment held open across a restart is reopened by unwrapping its data key
                statements.add(statement("SealSegments", "Allow", List.of("kms:Encrypt", "kms:Decrypt"), keys, inEnvironment));
                findPrimaryVersions(statements, keys, strongroomKey);
                denyAuditKek(statements, prefix);
            }
            case "archiver" -> {
                statements.add(statement("WriteArchives", "Allow", List.of("s3:PutObject", "s3:GetObject", "s3:PutObjectRetention"),
                        objects, null));
                statements.add(statement("ListArchives", "Allow", List.of("s3:ListBucket"), bucket, null));
                statements.add(statement("NoKeys", "Deny", List.of("kms:*"), "*", null));
            }
            case "coordinator" -> {
                statements.add(statement("CreateKeys", "Allow", List.of("kms:CreateKey", "kms:TagResource"), "*",
                        Map.of("ForAllValues:StringEquals", Map.of("aws:TagKeys", List.of(AwsKms.TENANT_TAG)))));
                statements.add(statement("ManageKeyVersions", "Allow", List.of("kms:DescribeKey", "kms:EnableKey", "kms:DisableKey",
                        "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:UpdateAlias"), keys,
                        strongroomKey));
                statements.add(statement("NameKeyVersions", "Allow", List.of("kms:CreateAlias", "kms:UpdateAlias"), aliases, null));
                statements.add(statement("ListKeyVersions", "Allow", List.of("kms:ListAliases"), "*", null));
                // rewrap, and the audit signing key (its KEK is the pseudo-tenant strongroom-audit's)
                statements.add(statement("WrapAndUnwrap", "Allow", List.of("kms:Encrypt", "kms:Decrypt"), keys, inEnvironment));
                statements.add(statement("ManifestsRewrapsCheckpoints", "Allow", List.of("s3:GetObject", "s3:PutObject"), objects,
                        null));
                statements.add(statement("ListArchives", "Allow", List.of("s3:ListBucket"), bucket, null));
            }
            case "anomaly" -> statements.add(statement("NoKeys", "Deny", List.of("kms:*"), "*", null)); // Kafka only
            case "restore" -> {
                statements.add(statement("ReadArchives", "Allow", List.of("s3:GetObject"), objects, null));
                statements.add(statement("ListArchives", "Allow", List.of("s3:ListBucket"), bucket, null));
                Map<String, Object> condition = inEnvironment;
                if (!tenants.isEmpty()) {
                    Map<String, Object> narrowed = new LinkedHashMap<>(context);
                    narrowed.put("kms:EncryptionContext:" + AwsKms.TENANT_CONTEXT, List.copyOf(tenants));
                    condition = new LinkedHashMap<>(strongroomKey);
                    condition.put("StringEquals", narrowed);
                }
                statements.add(statement("UnwrapDataKeys", "Allow", List.of("kms:Decrypt"), keys, condition));
                denyAuditKek(statements, prefix);
            }
            default -> throw new IllegalArgumentException("unknown service " + service + ", one of " + SERVICES);
        }
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("Version", "2012-10-17");
        policy.put("Statement", statements);
        return policy;
    }

    /** Finding a key's primary version: the aws-kms backend describes the alias and lists the version aliases. */
    private static void findPrimaryVersions(List<Map<String, Object>> statements, String keys, Map<String, Object> strongroomKey) {
        statements.add(statement("FindPrimaryKeyVersions", "Allow", List.of("kms:DescribeKey"), keys, strongroomKey));
        statements.add(statement("ListKeyVersions", "Allow", List.of("kms:ListAliases"), "*", null)); // no resource-level rights
    }

    /** The audit signing KEK is the coordinator's alone: denied by its tag and, for a key tagged otherwise, by its aliases. */
    private static void denyAuditKek(List<Map<String, Object>> statements, String prefix) {
        String alias = prefix + AuditCheckpoints.KEY_TENANT;
        statements.add(statement("NoAuditSigningKeyByTag", "Deny", List.of("kms:*"), "*",
                Map.of("StringEquals", Map.of("aws:ResourceTag/" + AwsKms.TENANT_TAG, AuditCheckpoints.KEY_TENANT))));
        statements.add(statement("NoAuditSigningKeyByAlias", "Deny", List.of("kms:*"), "*",
                Map.of("ForAnyValue:StringLike", Map.of("kms:ResourceAliases", List.of(alias, alias + "/*")))));
    }

    private static Map<String, Object> statement(String sid, String effect, List<String> actions, String resource,
            Map<String, Object> condition) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Sid", sid);
        s.put("Effect", effect);
        s.put("Action", actions);
        s.put("Resource", resource);
        if (condition != null) {
            s.put("Condition", condition);
        }
        return s;
    }

    /** One line per ACL, as {@code kafka-acls.sh --add} takes them. */
    static String kafkaAclsCommand(AclBinding b) {
        ResourcePattern p = b.pattern();
        String resource = switch (p.resourceType()) {
            case TOPIC -> "--topic " + p.name();
            case GROUP -> "--group " + p.name();
            case TRANSACTIONAL_ID -> "--transactional-id " + p.name();
            case CLUSTER -> "--cluster";
            default -> "--" + p.resourceType().name().toLowerCase() + " " + p.name();
        };
        return "kafka-acls.sh --bootstrap-server BROKER --add --allow-principal " + b.entry().principal() + " --operation "
                + b.entry().operation().name().replace('_', '-') + " " + resource
                + (p.patternType() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
    }

    /** Collects allow-ACLs of one principal. */
    private static final class Acls {
        private final String principal;
        private final List<AclBinding> bindings = new ArrayList<>();

        Acls(String principal) {
            this.principal = principal;
        }

        private void add(ResourceType type, String name, PatternType pattern, AclOperation... operations) {
            for (AclOperation op : operations) {
                bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
            }
        }

        void topic(String name, AclOperation... ops) {
            add(ResourceType.TOPIC, name, PatternType.LITERAL, ops);
        }

        void topicPrefix(String prefix, AclOperation... ops) {
            add(ResourceType.TOPIC, prefix, PatternType.PREFIXED, ops);
        }

        void group(String name, AclOperation... ops) {
            add(ResourceType.GROUP, name, PatternType.LITERAL, ops);
        }

        void groupPrefix(String prefix, AclOperation... ops) {
            add(ResourceType.GROUP, prefix, PatternType.PREFIXED, ops);
        }

        void transactionalIdPrefix(String prefix) {
            add(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.WRITE, AclOperation.DESCRIBE);
        }

        /** A Kafka Streams app (exactly once): its group, transactions and internal topics, all named after its id. */
        void streamsApp(String applicationId) {
            group(applicationId, AclOperation.READ, AclOperation.DESCRIBE);
            transactionalIdPrefix(applicationId);
            topicPrefix(applicationId + "-", AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
                    AclOperation.DESCRIBE_CONFIGS, AclOperation.DELETE);
        }
    }
}
