package io.strongroom.crypto.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.SchemaHistory;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audit events written under AuditEvent v1 and verified by a reader whose schema moved on (v2
 * inserted {@code DESCRIBE_KEY} mid-enum, so REWRAP's ordinal went from 8 to 9): no false alarm,
 * for events of either hash format; one changed byte is still detected.
 */
class AuditUpgradeTest {
    private static final AvroSerde<AuditEvent> SERDE = AvroSerde.of(AuditEvent.class);
    private static final Schema V1 = SchemaHistory.versions("AuditEvent").get(0);
    private static final List<String> ACTIONS = List.of("REWRAP", "RESTORE", "ACCESS_DENIED");

    @TempDir Path dir;

    /** A chain of three events as a v1-era emitter wrote it, in hash format 1 (before issue 19) or 2. */
    static List<AuditVerifier.Positioned> v1Chain(int format) throws Exception {
        List<AuditVerifier.Positioned> out = new ArrayList<>();
        byte[] previous = new byte[32];
        for (int i = 0; i < ACTIONS.size(); i++) {
            GenericRecord r = new GenericData.Record(V1);
            r.put("eventId", "ev-" + i);
            r.put("emitter", "encryptor-v1");
            r.put("sequence", (long) i);
            r.put("timestampMs", 1_000L + i);
            r.put("principal", "encryptor");
            r.put("action", new GenericData.EnumSymbol(V1.getField("action").schema(), ACTIONS.get(i)));
            r.put("outcome", new GenericData.EnumSymbol(V1.getField("outcome").schema(), "SUCCESS"));
            r.put("tenant", "acme");
            r.put("keyId", "local://acme");
            r.put("keyVersion", "1");
            r.put("segmentId", null);
            r.put("detail", "job-" + i);
            Map<String, String> attributes = new TreeMap<>();
            if (format == 2) {
                attributes.put(HashChain.FORMAT_ATTRIBUTE, HashChain.FORMAT_2);
            }
            attributes.put("zone", "eu");
            r.put("attributes", attributes);
            r.put("previousHash", ByteBuffer.wrap(previous));
            r.put("hash", ByteBuffer.allocate(0));
            byte[] hash = format == 2 ? sha256(previous, singleObject(r)) : sha256(previous, plainBinary(r));
            r.put("hash", ByteBuffer.wrap(hash));
            byte[] written = singleObject(r);
            out.add(new AuditVerifier.Positioned("audit/0/" + i, SERDE.decode("v1 bytes", written), written));
            previous = hash;
        }
        return out;
    }

    @Test
    void v1EventsOfHashFormat2VerifyAfterTheSchemaMovedOn() throws Exception {
        List<AuditVerifier.Positioned> chain = v1Chain(2);
        assertThat(chain.get(0).event().getAction()).isEqualTo(AuditAction.REWRAP); // read under v2
        AuditVerifier.Report report = AuditVerifier.verify(chain);
        assertThat(report.problems()).isEmpty();
        assertThat(report.events()).isEqualTo(3);
    }

    @Test
    void v1EventsOfHashFormat1VerifyUnderTheirWriterSchema() throws Exception {
        assertThat(AuditVerifier.verify(v1Chain(1)).problems()).isEmpty();
    }

    @Test
    void withoutTheWrittenBytesAFormat1V1EventLooksModified() throws Exception {
        // the false alarm this change removes: re-encoding under v2 moves REWRAP's ordinal
        List<AuditVerifier.Positioned> reEncoded = v1Chain(1).stream()
                .map(p -> new AuditVerifier.Positioned(p.position(), p.event())).toList();
        assertThat(AuditVerifier.verify(reEncoded).problems())
                .anyMatch(p -> p.startsWith("audit/0/0") && p.contains("modified"));
    }

    @Test
    void oneChangedByteOfAV1EventIsStillDetected() throws Exception {
        for (int format : new int[] {1, 2}) {
            List<AuditVerifier.Positioned> chain = new ArrayList<>(v1Chain(format));
            AuditVerifier.Positioned original = chain.get(1);
            byte[] edited = replace(original.written(), "job-1", "job-X");
            chain.set(1, new AuditVerifier.Positioned(original.position(), SERDE.decode("edited", edited), edited));
            assertThat(AuditVerifier.verify(chain).problems()).as("format %d", format).singleElement().asString()
                    .isEqualTo("audit/0/1 (emitter encryptor-v1, sequence 1): modified: the event does not match its hash");
        }
    }

    @Test
    void aFormat2EventCannotBePassedOffAsFormat1() throws Exception {
        // dropping the hashFormat attribute changes the written bytes: the hash no longer matches either format
        List<AuditVerifier.Positioned> chain = new ArrayList<>(v1Chain(2));
        AuditVerifier.Positioned p = chain.get(2);
        byte[] downgraded = replace(p.written(), "hashFormat", "hashFormaT");
        chain.set(2, new AuditVerifier.Positioned(p.position(), SERDE.decode("downgraded", downgraded), downgraded));
        assertThat(AuditVerifier.verify(chain).problems()).singleElement().asString().contains("sequence 2").contains("modified");
    }

    @Test
    void theCurrentWriterHashesTheBytesItWrites() throws Exception {
        Path file = dir.resolve("audit.log");
        try (FileAuditTrail trail = FileAuditTrail.open(file, "restore-1")) {
            for (int i = 0; i < 3; i++) {
                trail.record(new AuditRecord("restore", AuditAction.RESTORE, AuditOutcome.SUCCESS, "acme", null, null,
                        "seg-" + i, "job-" + i));
            }
        }
        List<AuditVerifier.Positioned> events = new ArrayList<>();
        List<HashChain.Written> written = FileAuditTrail.readWritten(file);
        for (int i = 0; i < written.size(); i++) {
            events.add(new AuditVerifier.Positioned("file/" + i, written.get(i).event(), written.get(i).bytes()));
        }
        assertThat(events).allMatch(p -> HashChain.isFormat2(p.event()));
        assertThat(AuditVerifier.verify(events).problems()).isEmpty();

        byte[] edited = replace(events.get(0).written(), "seg-0", "seg-9");
        events.set(0, new AuditVerifier.Positioned("file/0", SERDE.decode("edited", edited), edited));
        assertThat(AuditVerifier.verify(events).problems()).singleElement().asString().startsWith("file/0").contains("modified");
    }

    @Test
    void theHashIsTheLastFieldOfEveryAuditEventVersion() {
        // format 2 finds the unhashed bytes by cutting the hash off the end of what was written
        List<Schema> versions = new ArrayList<>(SchemaHistory.versions("AuditEvent"));
        versions.add(AuditEvent.getClassSchema());
        for (Schema v : versions) {
            Schema.Field last = v.getFields().get(v.getFields().size() - 1);
            assertThat(last.name()).isEqualTo("hash");
            assertThat(last.schema().getType()).isEqualTo(Schema.Type.BYTES);
        }
    }

    private static byte[] singleObject(GenericRecord r) throws Exception {
        ByteBuffer b = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(r);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** What the pre-issue-19 HashChain hashed: plain Avro binary under the schema of its day. */
    private static byte[] plainBinary(GenericRecord r) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(V1).write(r, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }

    private static byte[] sha256(byte[] previous, byte[] content) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(previous);
        return sha.digest(content);
    }

    static byte[] replace(byte[] bytes, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.UTF_8);
        byte[] t = to.getBytes(StandardCharsets.UTF_8);
        assertThat(t).hasSameSizeAs(f);
        for (int i = 0; i + f.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
                byte[] copy = bytes.clone();
                System.arraycopy(t, 0, copy, i, t.length);
                return copy;
            }
        }
        throw new AssertionError(from + " not in the bytes");
    }
}
