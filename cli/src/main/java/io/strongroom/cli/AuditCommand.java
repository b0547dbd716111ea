package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.crypto.audit.FileAuditTrail;
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
        subcommands = {AuditCommand.Verify.class, AuditCommand.Ship.class})
final class AuditCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every emitter's hash chain on strongroom.audit; name each deleted, modified or "
                    + "reordered event; exit 1 if any.")
    static final class Verify implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--topic", defaultValue = "strongroom.audit",
                description = "Audit topic to check (default: ${DEFAULT-VALUE}); e.g. a copy restored from a SIEM.")
        String topic;

        @Option(names = "--file", paramLabel = "FILE", description = "Check a local audit file (restore --audit-file) instead of a topic.")
        java.nio.file.Path file;

        @Override
        public Integer call() throws Exception {
            List<AuditVerifier.Positioned> events = new ArrayList<>();
            if (file != null) {
                List<AuditEvent> read = FileAuditTrail.read(file);
                for (int i = 0; i < read.size(); i++) {
                    events.add(new AuditVerifier.Positioned(file + " event " + (i + 1), read.get(i)));
                }
            } else {
                StrongroomConfig c = config.load();
                Topic<String, AuditEvent> audit = new Topic<>(topic, Topics.AUDIT.keySerde(), Topics.AUDIT.valueSerde());
                TopicReader.readToEnd(c.kafka().clientProperties(), audit, r -> events.add(
                        new AuditVerifier.Positioned(r.topic() + "/" + r.partition() + "/" + r.offset(), r.value())));
            }
            AuditVerifier.Report report = AuditVerifier.verify(events);
            report.problems().forEach(p -> System.out.println("problem: " + p));
            System.out.printf("audit trail %s: %,d events from %d emitters%s%n", report.ok() ? "intact" : "DAMAGED",
                    report.events(), report.emitters().size(), report.ok() ? "" : ", " + report.problems().size() + " problems");
            return report.ok() ? 0 : 1;
        }
    }

    @Command(name = "ship", mixinStandardHelpOptions = true,
            description = "Append the events of a local audit file (restore --audit-file) to strongroom.audit, after "
                    + "checking its chains; run it once Kafka is back. Events already on the topic are not sent again.")
    static final class Ship implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The audit file.")
        java.nio.file.Path file;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            List<AuditEvent> read = FileAuditTrail.read(file);
            List<AuditVerifier.Positioned> positioned = new ArrayList<>();
            for (int i = 0; i < read.size(); i++) {
                positioned.add(new AuditVerifier.Positioned(file + " event " + (i + 1), read.get(i)));
            }
            AuditVerifier.Report report = AuditVerifier.verify(positioned);
            if (!report.ok()) {
                report.problems().forEach(p -> System.out.println("problem: " + p));
                System.out.println("not shipped: " + file + " is damaged");
                return 1;
            }
            java.util.Set<String> present = new java.util.HashSet<>();
            TopicReader.readToEnd(c.kafka().clientProperties(), Topics.AUDIT, r -> present.add(r.value().getEventId()));
            int sent = 0;
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(c.kafka().clientProperties(),
                    Topics.AUDIT.keySerde().serializer(), Topics.AUDIT.valueSerde().serializer())) {
                for (AuditEvent e : read) {
                    if (present.add(e.getEventId())) {
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.AUDIT.name(), e.getEmitter(), e)).get();
                        sent++;
                    }
                }
            }
            System.out.printf("shipped %,d of %,d events from %s to %s%n", sent, read.size(), file, Topics.AUDIT.name());
            return 0;
        }
    }
}
