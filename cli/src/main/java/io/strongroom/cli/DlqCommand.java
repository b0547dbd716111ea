package io.strongroom.cli;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.PayloadHeader;
import io.strongroom.avro.RejectReason;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code strongroom dlq list|show|replay}: inspect and replay records ingest rejected. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "Inspect and replay records ingest rejected (strongroom.ingest.dlq). Reading a payload unwraps "
                + "its data key and is audited.",
        subcommands = {DlqCommand.ListLetters.class, DlqCommand.Show.class, DlqCommand.Replay.class})
final class DlqCommand {
    /** Header a replayed record carries: the position of the record it replaces. */
    static final String REPLAY_HEADER = "strongroom-replay-of";

    private DlqCommand() {}

    /** The options of commands that open one dead letter: config, principal, and which letter. */
    static final class Letter {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;
        @Spec(Spec.Target.MIXEE) CommandSpec spec;

        @Option(names = "--record", required = true, paramLabel = "TOPIC/PARTITION/OFFSET", description = "Which dead letter.")
        String record;

        DeadLetter find(StrongroomConfig c) {
            return DlqCommand.find(spec, c, record);
        }
    }

    static Map<String, DeadLetter> letters(StrongroomConfig c) {
        Map<String, DeadLetter> letters = new LinkedHashMap<>();
        TopicReader.readToEnd(c.kafka().clientProperties(), Topics.INGEST_DLQ, r -> letters.put(position(r.value()), r.value()));
        return letters;
    }

    static String position(DeadLetter letter) {
        return letter.getSource().getTopic() + "/" + letter.getSource().getPartition() + "/" + letter.getSource().getOffset();
    }

    static DeadLetter find(CommandSpec spec, StrongroomConfig c, String record) {
        if (!record.matches("[^/]+/\\d+/\\d+")) {
            throw new ParameterException(spec.commandLine(), "--record must be TOPIC/PARTITION/OFFSET, got '" + record + "'");
        }
        DeadLetter letter = letters(c).get(record);
        if (letter == null) {
            throw new ParameterException(spec.commandLine(), "--record " + record + ": no dead letter for that position on "
                    + Topics.INGEST_DLQ.name() + " (strongroom dlq list shows them)");
        }
        return letter;
    }

    /** The rejected record: opened from its sealed copy, or read back from the source topic by reference. */
    static DeadLetterPayload payload(StrongroomConfig c, AuditingKms kms, DeadLetter letter) {
        String where = "dead letter " + position(letter);
        String tenant = null;
        String segmentId = null;
        try {
            DeadLetterPayload payload;
            if (letter.getEncryptedPayload() != null) {
                Segment sealed = Segment.parse(where, bytes(letter.getEncryptedPayload()));
                tenant = sealed.header().getTenant();
                segmentId = sealed.header().getSegmentId();
                payload = DeadLetterSealer.open(where, letter, kms, c.kms().timeout(), DlqDigestKey.load(c));
            } else {
                payload = fromSource(c, letter, where);
            }
            kms.record(AuditAction.DLQ_READ, AuditOutcome.SUCCESS, tenant, segmentId, where);
            return payload;
        } catch (RuntimeException e) {
            kms.record(AuditAction.DLQ_READ, AuditOutcome.FAILURE, tenant, segmentId, where + ": " + e.getMessage());
            throw e;
        }
    }

    private static DeadLetterPayload fromSource(StrongroomConfig c, DeadLetter letter, String where) {
        Map<String, Object> props = new HashMap<>(c.kafka().clientProperties());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        TopicPartition tp = new TopicPartition(letter.getSource().getTopic(), letter.getSource().getPartition());
        long offset = letter.getSource().getOffset();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            long start = consumer.beginningOffsets(List.of(tp)).get(tp);
            if (start > offset) {
                throw new IllegalStateException(where + " was not sealed (the KMS failed at rejection) and the source record "
                        + "is gone: " + tp + " now starts at offset " + start);
            }
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() == offset) {
                        byte[] value = r.value() == null ? new byte[0] : r.value();
                        if (!DlqDigestKey.load(c).matches(value, bytes(letter.getPayloadSha256()))) {
                            throw new IllegalStateException(where + ": the record now at " + tp + "/" + offset
                                    + " does not match the digest recorded at rejection (or the DLQ digest key is not ingest's)");
                        }
                        List<PayloadHeader> headers = new ArrayList<>();
                        r.headers().forEach(h -> headers.add(new PayloadHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value()))));
                        return new DeadLetterPayload(r.key() == null ? null : ByteBuffer.wrap(r.key()),
                                r.value() == null ? null : ByteBuffer.wrap(r.value()), headers);
                    }
                }
            }
            throw new IllegalStateException(where + ": the source record could not be read from " + tp + " within 30 s");
        }
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** UTF-8 text if the bytes are valid UTF-8 without control characters, else base64 marked as such. */
    static String printable(ByteBuffer b) {
        if (b == null) {
            return "(null)";
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b.duplicate()).toString();
            if (s.chars().noneMatch(ch -> ch < 0x20 && ch != '\t')) {
                return s;
            }
        } catch (CharacterCodingException e) {
            // not text
        }
        return "base64:" + Base64.getEncoder().encodeToString(bytes(b));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List dead letters: position, reason, tenant, "
            + "size, when, whether the payload is sealed, and what was wrong. Shows no payload.")
    static final class ListLetters implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--tenant", description = "Only this tenant's dead letters.")
        String tenant;

        @Option(names = "--reason", description = "Only this reason: ${COMPLETION-CANDIDATES}.")
        RejectReason reason;

        @Option(names = "--limit", defaultValue = "1000", description = "At most this many, newest last (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            List<DeadLetter> shown = letters(c).values().stream()
                    .filter(l -> tenant == null || tenant.equals(l.getTenant()))
                    .filter(l -> reason == null || reason == l.getReason()).toList();
            List<DeadLetter> page = shown.subList(Math.max(0, shown.size() - Math.max(limit, 0)), shown.size());
            PrintStream out = System.out;
            out.printf("%-40s %-15s %-16s %9s %-24s %-9s %s%n", "RECORD", "REASON", "TENANT", "BYTES", "REJECTED", "PAYLOAD", "DETAIL");
            for (DeadLetter l : page) {
                out.printf("%-40s %-15s %-16s %9d %-24s %-9s %s%n", position(l), l.getReason(),
                        l.getTenant() == null ? "-" : l.getTenant(), l.getPayloadSizeBytes(),
                        Instant.ofEpochMilli(l.getRejectedAtMs()), l.getEncryptedPayload() != null ? "sealed" : "reference",
                        l.getDetail());
            }
            out.printf("%d dead letters%s%n", page.size(), page.size() < shown.size() ? " (of " + shown.size() + ")" : "");
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Decrypt one dead letter (audited): details on "
            + "stderr, the record's value on stdout or into --out.")
    static final class Show implements Callable<Integer> {
        @Mixin Letter opts;

        @Option(names = "--out", paramLabel = "FILE", description = "Write the value to FILE (mode 0600) instead of stdout.")
        Path out;

        @Override
        public Integer call() throws IOException {
            StrongroomConfig c = opts.config.load();
            String who = opts.principal.audited();
            DeadLetter letter = opts.find(c);
            DeadLetterPayload payload;
            try (AuditingKms kms = KmsFactory.create(c, who)) {
                payload = payload(c, kms, letter);
            }
            PrintStream err = System.err;
            err.println("record   " + position(letter));
            err.println("reason   " + letter.getReason() + ": " + letter.getDetail());
            err.println("tenant   " + (letter.getTenant() == null ? "-" : letter.getTenant()));
            err.println("key      " + printable(payload.getKey()));
            for (PayloadHeader h : payload.getHeaders()) {
                err.println("header   " + h.getKey() + "=" + printable(h.getValue()));
            }
            err.println("bytes    " + letter.getPayloadSizeBytes());
            byte[] value = payload.getValue() == null ? new byte[0] : bytes(payload.getValue());
            if (out != null) {
                Files.deleteIfExists(out);
                Files.createFile(out, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.write(out, value);
                err.println("value    written to " + out);
            } else {
                OutputStream stdout = System.out;
                stdout.write(value);
                stdout.write('\n');
                stdout.flush();
            }
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true, description = "Send a dead letter's record again (its key "
            + "and headers, the original or a corrected value) to its source topic, for ingest to take it up. Audited.")
    static final class Replay implements Callable<Integer> {
        @Mixin Letter opts;

        @Option(names = "--value-file", paramLabel = "FILE", description = "The corrected value (default: the original).")
        Path valueFile;

        @Option(names = "--to-topic", paramLabel = "TOPIC", description = "Send here instead of the source topic.")
        String toTopic;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = opts.config.load();
            String who = opts.principal.audited();
            if (valueFile != null && !Files.isReadable(valueFile)) {
                throw new ParameterException(opts.spec.commandLine(), "--value-file " + valueFile + ": cannot read it");
            }
            DeadLetter letter = opts.find(c);
            try (AuditingKms audited = KmsFactory.create(c, who)) {
                DeadLetterPayload payload = payload(c, audited, letter);
                byte[] value = valueFile != null ? Files.readAllBytes(valueFile)
                        : payload.getValue() == null ? null : bytes(payload.getValue());
                String topic = toTopic != null ? toTopic : letter.getSource().getTopic();
                ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic, null,
                        payload.getKey() == null ? null : bytes(payload.getKey()), value);
                for (PayloadHeader h : payload.getHeaders()) {
                    if (!h.getKey().equals(REPLAY_HEADER)) {
                        out.headers().add(h.getKey(), h.getValue() == null ? null : bytes(h.getValue()));
                    }
                }
                out.headers().add(REPLAY_HEADER, position(letter).getBytes(StandardCharsets.UTF_8));
                Map<String, Object> props = new HashMap<>(c.kafka().clientProperties());
                props.put(ProducerConfig.ACKS_CONFIG, "all");
                props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                RecordMetadata md;
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                    md = producer.send(out).get();
                }
                String to = md.topic() + "/" + md.partition() + "/" + md.offset();
                audited.record(AuditAction.OTHER, AuditOutcome.SUCCESS, letter.getTenant(), null,
                        "dlq replay of " + position(letter) + " to " + to + (valueFile != null ? " (corrected value)" : ""));
                System.out.println("replayed " + position(letter) + " as " + to + (valueFile != null ? " with the corrected value" : ""));
            }
            return 0;
        }
    }
}
