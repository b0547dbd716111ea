package io.strongroom.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.cli.config.StrongroomConfig;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom acls}: the least-privilege Kafka ACLs and cloud policies of every service. */
@Command(name = "acls", mixinStandardHelpOptions = true,
        description = "Print the minimal Kafka ACLs of each service's principal (User:<service>) as kafka-acls.sh commands, and "
                + "an IAM-style policy for S3 and the KMS; with --apply, create the ACLs (the configured Kafka credentials must "
                + "be allowed to alter ACLs).")
final class AclsCommand implements Callable<Integer> {
    @Mixin ConfigOption config;

    @Option(names = "--service", paramLabel = "NAME", description = "Only this service (ingest, encryptor, archiver, coordinator, "
            + "anomaly, restore).")
    String service;

    @Option(names = "--tenant", paramLabel = "TENANT", description = "Narrow restore's KMS unwraps to this tenant "
            + "(repeatable; IAM condition kms:EncryptionContext:tenant). Default: every tenant.")
    List<String> tenants = List.of();

    @Option(names = "--apply", description = "Create the Kafka ACLs on the broker.")
    boolean apply;

    @Override
    public Integer call() throws Exception {
        StrongroomConfig c = config.load();
        AccessPlan plan = new AccessPlan(c);
        List<String> services = service == null ? AccessPlan.SERVICES : List.of(service);
        if (service != null && !AccessPlan.SERVICES.contains(service)) {
            throw new IllegalArgumentException("--service must be one of " + AccessPlan.SERVICES + ", got '" + service + "'");
        }
        ObjectMapper json = new ObjectMapper();
        for (String s : services) {
            System.out.println("# " + s + ": Kafka principal User:" + s);
            plan.kafkaAcls(s).forEach(b -> System.out.println(AccessPlan.kafkaAclsCommand(b)));
            System.out.println("# " + s + ": S3 and KMS (IAM-style policy)");
            System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(plan.cloudPolicy(s, tenants)));
            System.out.println();
        }
        if (apply) {
            List<AclBinding> all = services.stream().flatMap(s -> plan.kafkaAcls(s).stream()).toList();
            try (Admin admin = Admin.create(c.kafka().clientProperties())) {
                admin.createAcls(all).all().get(60, TimeUnit.SECONDS);
            }
            System.out.println("created " + all.size() + " ACLs");
        }
        return 0;
    }
}
