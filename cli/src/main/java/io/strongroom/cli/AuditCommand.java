package io.strongroom.cli;

import io.strongroom.archive.AuditCheckpointStore;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.audit.AuditTrailReader;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.avro.AuditEvent;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom audit ...}: the audit trail. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Work with the audit trail (strongroom.audit).",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Ship.class, AuditCommand.InitKey.class,
                AuditCommand.Checkpoint.class})
final class AuditCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every emitter's hash chain on strongroom.audit, and the topic against the signed "
                    + "checkpoints in S3 (a rewritten topic); name each deleted, modified or reordered event, each checkpoint "
                    + "deleted, replaced or forked from the chain of checkpoints, and a newest checkpoint older than "
                    + "audit.stale-after-intervals x audit.checkpoint-interval; exit 1 if any.")
    static final class Verify implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--topic", defaultValue = "strongroom.audit",
                description = "Audit topic to check (default: ${DEFAULT-VALUE}); e.g. a copy restored from a SIEM.")
        String topic;

        @Option(names = "--file", paramLabel = "FILE", description = "Check a local audit file (restore --audit-file) instead of a topic.")
        Path file;

        @Option(names = "--no-checkpoints", description = "Check the hash chains only, not the signed checkpoints in S3.")
        boolean noCheckpoints;

        @Override
        public Integer call() throws Exception {
            List<AuditVerifier.Positioned> events = new ArrayList<>();
            StrongroomConfig c = file == null ? config.load() : null;
            if (file != null) {
                events.addAll(AuditTrailReader.readFile(file));
            } else {
                events.addAll(AuditTrailReader.read(c.kafka().clientProperties(), topic));
            }
            var trust = c == null ? null : c.trust();
            AuditVerifier.Report report = AuditVerifier.verify(events, trust);
            List<String> problems = new ArrayList<>(report.problems());
            String against = "";
            if (report.authenticity() != null) {
                var a = report.authenticity();
                against += String.format("; %,d authentic (signed by the principal they name)%s", a.authentic().size(),
                        a.awaitingSignature() == 0 ? "" : String.format(", %,d awaiting their emitter's next signed head",
                                a.awaitingSignature()))
                        + (a.legacy() == 0 ? "" : String.format(", %,d written before signed chains (hash format 1; "
                                + "not authentic)", a.legacy()));
            }
            if (file == null && !noCheckpoints) {
                AuditCheck.Checked checked = AuditCheck.againstCheckpoints(c, events, problems);
                against += checked.checkpoints() < 0 ? "; no signed checkpoints yet (strongroom audit init-key, then the "
                        + "coordinator signs one every audit.checkpoint-interval)"
                        : String.format("; checked against %,d signed checkpoints%s", checked.checkpoints(),
                                checked.newest() == null ? "" : " (the newest " + checked.newestAge().toSeconds() + "s old)");
            }
            problems.forEach(p -> System.out.println("problem: " + p));
            boolean ok = problems.isEmpty();
            System.out.printf("audit trail %s: %,d events from %d emitters%s%s%s%n", ok ? "intact" : "DAMAGED",
                    report.events(), report.emitters().size(),
                    report.duplicates() == 0 ? "" : String.format(" (%,d delivered twice: re-sent from a spool)", report.duplicates()),
                    against, ok ? "" : ", " + problems.size() + " problems");
            return ok ? 0 : 1;
        }
    }


    @Command(name = "ship", mixinStandardHelpOptions = true,
            description = "Append the events of a local audit file (restore --audit-file) to strongroom.audit, after "
                    + "checking its chains; run it once Kafka is back. Events already on the topic are not sent again.")
    static final class Ship implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The audit file.")
        Path file;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            List<AuditVerifier.Positioned> positioned = AuditTrailReader.readFile(file);
            AuditVerifier.Report report = AuditVerifier.verify(positioned);
            if (!report.ok()) {
                report.problems().forEach(p -> System.out.println("problem: " + p));
                System.out.println("not shipped: " + file + " is damaged");
                return 1;
            }
            Set<String> present = new HashSet<>();
            TopicReader.readToEnd(c.kafka().clientProperties(), Topics.AUDIT, r -> present.add(r.value().getEventId()));
            int sent = 0;
            try (var producer = new KafkaProducer<>(c.kafka().clientProperties(),
                    Topics.AUDIT.keySerde().serializer(), new ByteArraySerializer())) {
                for (AuditVerifier.Positioned p : positioned) {
                    AuditEvent e = p.event();
                    if (present.add(e.getEventId())) { // the bytes as written: their hash covers them
                        producer.send(new ProducerRecord<>(Topics.AUDIT.name(), e.getEmitter(),
                                p.written())).get();
                        sent++;
                    }
                }
            }
            System.out.printf("shipped %,d of %,d events from %s to %s%n", sent, positioned.size(), file, Topics.AUDIT.name());
            return 0;
        }
    }

    @Command(name = "init-key", mixinStandardHelpOptions = true,
            description = "Make the audit signing key (Ed25519, its private half encrypted under the KMS) unless there is "
                    + "one, and write its public keyset to FILE: set audit.public-key-file to it wherever audit verify runs.")
    static final class InitKey implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--public-key-out", required = true, paramLabel = "FILE", description = "Where to write the public keyset.")
        Path out;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            try (var kms = KmsFactory.create(c, principal.audited()); var s3 = c.s3().client()) {
                AuditCheckpointStore store = new AuditCheckpointStore(c.auditCheckpoints(), s3);
                boolean existed = store.signingKey() != null;
                store.ensureSigningKey(AuditCheckpoints.through(kms, c.environment(), c.kms().timeout()));
                Files.writeString(out, store.publicKeyset());
                System.out.printf("%s audit signing key s3://%s/%s; public keyset written to %s%n",
                        existed ? "existing" : "new", c.s3().bucket(), store.keyObject(), out);
                return 0;
            }
        }
    }

    @Command(name = "checkpoint", mixinStandardHelpOptions = true,
            description = "Sign the chain heads of strongroom.audit now and store the checkpoint in S3 (the coordinator "
                    + "does it every audit.checkpoint-interval).")
    static final class Checkpoint implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            List<AuditVerifier.Positioned> events = AuditTrailReader.read(c.kafka().clientProperties(), Topics.AUDIT.name());
            try (var kms = KmsFactory.create(c, principal.audited()); var s3 = c.s3().client()) {
                var written = new AuditCheckpointStore(c.auditCheckpoints(), s3).checkpoint(
                        AuditCheckpoints.through(kms, c.environment(), c.kms().timeout()), events);
                System.out.printf("signed the heads of %,d audit events into %s (checkpoint %d of the chain)%n", events.size(),
                        written.where(), written.body().sequence());
                return 0;
            }
        }
    }
}
