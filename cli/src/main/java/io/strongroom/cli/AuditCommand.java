package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.Topic;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom audit ...}: the audit trail. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Work with the audit trail (strongroom.audit).",
        subcommands = AuditCommand.Verify.class)
final class AuditCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every emitter's hash chain on strongroom.audit; name each deleted, modified or "
                    + "reordered event; exit 1 if any.")
    static final class Verify implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--topic", defaultValue = "strongroom.audit",
                description = "Audit topic to check (default: ${DEFAULT-VALUE}); e.g. a copy restored from a SIEM.")
        String topic;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            List<AuditVerifier.Positioned> events = new ArrayList<>();
            Topic<String, AuditEvent> audit = new Topic<>(topic, Topics.AUDIT.keySerde(), Topics.AUDIT.valueSerde());
            TopicReader.readToEnd(c.kafka().clientProperties(), audit, r -> events.add(
                    new AuditVerifier.Positioned(r.topic() + "/" + r.partition() + "/" + r.offset(), r.value())));
            AuditVerifier.Report report = AuditVerifier.verify(events);
            report.problems().forEach(p -> System.out.println("problem: " + p));
            System.out.printf("audit trail %s: %,d events from %d emitters%s%n", report.ok() ? "intact" : "DAMAGED",
                    report.events(), report.emitters().size(), report.ok() ? "" : ", " + report.problems().size() + " problems");
            return report.ok() ? 0 : 1;
        }
    }
}
