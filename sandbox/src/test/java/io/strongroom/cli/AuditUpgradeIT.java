package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.audit.HashChain;
import io.strongroom.schemas.SchemaHistory;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code audit verify} on a real topic holding events an emitter of the AuditEvent v1 era wrote
 * (hash format 2, bytes as written): after the schema moved on (v2 inserted DESCRIBE_KEY before
 * REWRAP) they verify; one byte changed on the topic is still named.
 */
class AuditUpgradeIT {
    private static final Schema V1 = SchemaHistory.versions("AuditEvent").get(0);

    /** Event {@code i} of a v1 chain after {@code previous}, as written; {@code detail} lets a copy differ by one byte. */
    private static byte[] v1Event(String emitter, int i, String action, String detail, byte[][] previous) throws Exception {
        GenericRecord r = new GenericData.Record(V1);
        r.put("eventId", emitter + "-" + i);
        r.put("emitter", emitter);
        r.put("sequence", (long) i);
        r.put("timestampMs", 1_000L + i);
        r.put("principal", "coordinator");
        r.put("action", new GenericData.EnumSymbol(V1.getField("action").schema(), action));
        r.put("outcome", new GenericData.EnumSymbol(V1.getField("outcome").schema(), "SUCCESS"));
        r.put("tenant", "acme");
        r.put("keyId", null);
        r.put("keyVersion", null);
        r.put("segmentId", null);
        r.put("detail", detail);
        TreeMap<String, String> attributes = new TreeMap<>();
        attributes.put(HashChain.FORMAT_ATTRIBUTE, HashChain.FORMAT_2);
        r.put("attributes", attributes);
        r.put("previousHash", ByteBuffer.wrap(previous[0]));
        r.put("hash", ByteBuffer.allocate(0));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(previous[0]);
        byte[] hash = sha.digest(encode(r));
        r.put("hash", ByteBuffer.wrap(hash));
        previous[0] = hash;
        return encode(r);
    }

    private static byte[] encode(GenericRecord r) throws Exception {
        ByteBuffer b = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(r);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void v1EventsOnTheTopicVerifyAfterTheSchemaMovedOnAndAChangedByteIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-audit-upgrade-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            sandbox.kafka().createTopics(1, Topics.AUDIT.name());
            // the hash format alone: these chains are unsigned (who wrote them is AuditAuthenticityTest's business), so
            // they are verified without the sandbox's trust file
            Path cfg = dir.resolve("no-trust.yaml");
            Files.writeString(cfg, Files.readString(sandbox.configFile()).replaceAll("(?m)^  trust-file: .*$", ""));
            List<String> actions = List.of("REWRAP", "RESTORE", "ACCESS_DENIED");
            try (var producer = new KafkaProducer<>(sandbox.config().kafka().clientProperties(), new StringSerializer(),
                    new ByteArraySerializer())) {
                byte[][] previous = {new byte[32]};
                for (int i = 0; i < actions.size(); i++) {
                    producer.send(new ProducerRecord<>(Topics.AUDIT.name(), "coordinator-v1", v1Event("coordinator-v1", i,
                            actions.get(i), "job-" + i, previous))).get();
                }
            }
            PipelineIT.Run intact = PipelineIT.run("audit", "verify", "--config", cfg.toString(),
                    "--no-checkpoints");
            assertThat(intact.code()).as(intact.out() + intact.err()).isZero();
            assertThat(intact.out()).contains("audit trail intact: 3 events from 1 emitters");

            // the attacker edits one byte of a v1 event in a second chain (a copy differing in "job-1")
            try (var producer = new KafkaProducer<>(sandbox.config().kafka().clientProperties(), new StringSerializer(),
                    new ByteArraySerializer())) {
                byte[][] previous = {new byte[32]};
                for (int i = 0; i < actions.size(); i++) {
                    byte[] bytes = v1Event("restore-v1", i, actions.get(i), "job-" + i, previous);
                    if (i == 1) {
                        String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("job-1", "job-7");
                        bytes = text.getBytes(StandardCharsets.ISO_8859_1);
                    }
                    producer.send(new ProducerRecord<>(Topics.AUDIT.name(), "restore-v1", bytes)).get();
                }
            }
            PipelineIT.Run damaged = PipelineIT.run("audit", "verify", "--config", cfg.toString(),
                    "--no-checkpoints");
            assertThat(damaged.code()).isEqualTo(1);
            assertThat(damaged.out().lines().filter(l -> l.startsWith("problem:")))
                    .containsExactly("problem: strongroom.audit/0/4 (emitter restore-v1, sequence 1): modified: the event "
                            + "does not match its hash");
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
