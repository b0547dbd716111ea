package io.strongroom.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.Op;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A quarantine segment (a record the encryptor could not decode, kept as it came) in a real bucket: a restore that
 * cannot decode it reports it by segment, topic, partition and offset instead of failing or skipping it silently;
 * one that reads its schema restores it like any event.
 */
class QuarantineSegmentRestoreIT {
    private static final String BUCKET = "archive";
    private static final AvroSerde<DeadLetterPayload> PAYLOADS = AvroSerde.of(DeadLetterPayload.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path kmsDir;
    @TempDir Path out;

    private static ChangeEvent event(int offset) {
        return ChangeEvent.newBuilder().setEventId("cdc.x/0/" + offset).setTenant("acme").setTable("public.t").setOp(Op.CREATE)
                .setClassification(Classification.CONFIDENTIAL).setKey("{\"id\":" + offset + "}")
                .setAfter("{\"id\":" + offset + "}").setEventTimeMs(5_000L + offset)
                .setSource(new SourcePosition("cdc.x", 0, (long) offset, 1L)).build();
    }

    /** {@code e} as a newer release would write it: ChangeEvent plus one field, its own fingerprint. */
    private static byte[] asV3(ChangeEvent e) throws Exception {
        Schema v2 = ChangeEvent.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        v2.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field("origin", Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                null, Schema.Field.NULL_DEFAULT_VALUE));
        Schema v3 = Schema.createRecord(v2.getName(), null, v2.getNamespace(), false, fields);
        GenericData.Record r = new GenericData.Record(v3);
        v2.getFields().forEach(f -> r.put(f.name(), e.get(f.pos())));
        ByteBuffer b = new BinaryMessageEncoder<GenericData.Record>(SpecificData.get(), v3).encode(r);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    /** Seals one record as the encryptor does, as a link of acme's chain of strongroom.changes/0; returns its id. */
    private static String put(S3Client s3, Kms kms, String stream, long offset, String predecessor, byte[] record) {
        String id = UUID.randomUUID().toString();
        DataKey dek = Kmses.await(kms.generateDek("local://acme", new DekContext("it", "acme", id)), Duration.ofSeconds(5));
        SegmentHeader.Builder h = SegmentHeader.newBuilder().setSegmentId(id).setFormatVersion(Segment.FORMAT_VERSION)
                .setEnvironment("it").setTenant("acme").setStream(stream).setSourceTopic(Topics.CHANGES.name())
                .setSourcePartition(0).setFirstOffset(offset).setLastOffset(offset).setRecordCount(1)
                .setMinEventTimeMs(1).setMaxEventTimeMs(2).setSealedAtMs(1_767_225_600_000L).setPredecessorSegmentId(predecessor)
                .setKeyId(dek.wrapped().keyId()).setKeyVersion(dek.wrapped().keyVersion())
                .setWrappedDek(ByteBuffer.wrap(dek.wrapped().bytes())).setDekAlgorithm(dek.wrapped().algorithm());
        Segment segment = SegmentCrypto.seal(h, List.of(record), dek.aead());
        s3.putObject(b -> b.bucket(BUCKET).key(ArchiveLayout.segmentKey(segment.header())), RequestBody.fromBytes(segment.toBytes()));
        return id;
    }

    private static byte[] quarantined(byte[] value) {
        return PAYLOADS.encode(DeadLetterPayload.newBuilder().setKey(ByteBuffer.wrap("acme/public.t/1".getBytes()))
                .setValue(ByteBuffer.wrap(value)).build());
    }

    private static RestoreJob.Result restore(S3Client s3, Kms kms, Path output) {
        return RestoreJob.run(new ArchiveReader(s3, BUCKET, kms, Duration.ofSeconds(5)),
                new RestoreJob.Options("it", "acme", null, output, 1), (done, total, events) -> {});
    }

    private static List<String> eventIds(Path output) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String line : Files.readAllLines(output)) {
            ids.add(JSON.readTree(line).get("eventId").asText());
        }
        return ids;
    }

    @Test
    void aQuarantineSegmentIsReportedWhenItsEventCannotBeDecodedAndRestoredWhenItCan() throws Exception {
        Kms kms = TestKms.local(kmsDir, true);
        var v2 = Topics.CHANGES.valueSerde().serializer();
        try (EmbeddedS3 server = EmbeddedS3.start(); S3Client s3 = server.client()) {
            server.createBucket(BUCKET);
            String s0 = put(s3, kms, Topics.CHANGES.name(), 0, null, v2.serialize("t", event(0)));
            String q1 = put(s3, kms, Segment.QUARANTINE_STREAM, 1, s0, quarantined(asV3(event(1))));
            String s2 = put(s3, kms, Topics.CHANGES.name(), 2, q1, v2.serialize("t", event(2)));
            // a record quarantined by an older encryptor whose schema this restore does read
            put(s3, kms, Segment.QUARANTINE_STREAM, 3, s2, quarantined(v2.serialize("t", event(3))));

            Path output = out.resolve("acme.jsonl");
            RestoreJob.Result result = restore(s3, kms, output);
            assertThat(result.segments()).isEqualTo(4);
            assertThat(result.problems()).as("the undecodable event is reported, the chain is intact").singleElement()
                    .asString().contains("quarantine segment " + q1, Topics.CHANGES.name() + "/0 offset 1",
                            "unknown Avro schema fingerprint");
            assertThat(result.ok()).isFalse();
            assertThat(result.events()).isEqualTo(3);
            // a quarantine segment's stream sorts before strongroom.changes in the bucket: its event must still come in
            // offset order (an UPDATE quarantined at offset 100 must not be applied before the INSERT at 50)
            assertThat(eventIds(output)).as("events restored in the order of their offsets").containsExactly(
                    "cdc.x/0/0", "cdc.x/0/2", "cdc.x/0/3");
        }
    }

    @Test
    void aQuarantinedEventOfAnotherTenantIsReportedNotRestored() throws Exception {
        Kms kms = TestKms.local(kmsDir, true);
        var v2 = Topics.CHANGES.valueSerde().serializer();
        try (EmbeddedS3 server = EmbeddedS3.start(); S3Client s3 = server.client()) {
            server.createBucket(BUCKET);
            String s0 = put(s3, kms, Topics.CHANGES.name(), 0, null, v2.serialize("t", event(0)));
            // a record keyed acme/... whose event says it is globex's: sealed under acme's key, as its key said
            ChangeEvent foreign = ChangeEvent.newBuilder(event(1)).setTenant("globex").build();
            String q1 = put(s3, kms, Segment.QUARANTINE_STREAM, 1, s0, quarantined(v2.serialize("t", foreign)));

            Path output = out.resolve("acme.jsonl");
            RestoreJob.Result result = restore(s3, kms, output);
            assertThat(result.problems()).singleElement().asString()
                    .contains("quarantine segment " + q1, "tenant globex", "tenant acme", "offset 1");
            assertThat(eventIds(output)).as("globex's event is not restored into acme's data").containsExactly("cdc.x/0/0");
        }
    }
}
