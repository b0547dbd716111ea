package io.strongroom.encryptor;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.schemas.SchemaHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * ChangeEvent v3, as a newer ingest would write it: what an encryptor that knows only v2 cannot decode (used by
 * EncryptorUndecodableIT and the topology's tests).
 */
public final class ChangeEventV3 {
    private ChangeEventV3() {}

    /** ChangeEvent as a newer release might have it: the current (v2) fields and one more, with a default. */
    public static final Schema V3 = v3();

    private static Schema v3() {
        Schema v2 = ChangeEvent.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : v2.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("origin", Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
                "added in v3", Schema.Field.NULL_DEFAULT_VALUE));
        return Schema.createRecord(v2.getName(), v2.getDoc(), v2.getNamespace(), false, fields);
    }

    /** {@code e} written as v3 (single-object encoded with the v3 fingerprint), its new field set. */
    public static byte[] asV3(ChangeEvent e) {
        GenericData.Record r = new GenericData.Record(V3);
        for (Schema.Field f : ChangeEvent.getClassSchema().getFields()) {
            r.put(f.name(), e.get(f.pos()));
        }
        r.put("origin", "ingest-3.0");
        try {
            ByteBuffer b = new BinaryMessageEncoder<GenericData.Record>(SpecificData.get(), V3).encode(r);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** What a newer encryptor (or restore) decodes with: every kept version and v3. */
    public static Deserializer<ChangeEvent> v3Decoder() {
        BinaryMessageDecoder<ChangeEvent> d = new BinaryMessageDecoder<>(SpecificData.getForClass(ChangeEvent.class),
                ChangeEvent.getClassSchema());
        SchemaHistory.versions("ChangeEvent").forEach(d::addSchema);
        d.addSchema(V3);
        return (topic, bytes) -> {
            try {
                return d.decode(bytes);
            } catch (IOException | RuntimeException ex) {
                throw new SerializationException("v3 decoder: " + ex.getMessage(), ex);
            }
        };
    }
}
