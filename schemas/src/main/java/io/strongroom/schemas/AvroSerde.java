package io.strongroom.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for Strongroom's own topics using Avro <em>single-object encoding</em>:
 *
 * <pre>
 * 0xC3 0x01 | 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema | Avro binary body
 * </pre>
 *
 * <p>No schema registry is needed: the reader knows every version kept in {@link SchemaHistory}
 * and resolves older writer schemas to the current one. A fingerprint it does not know is
 * rejected with a {@link SerializationException} naming the type, topic and fingerprint.
 * Instances are thread-safe.
 *
 * @param <T> the generated Avro class
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;
    private final Map<Long, String> knownFingerprints = new LinkedHashMap<>();

    private AvroSerde(Class<T> type) {
        this.type = type;
        SpecificData model = SpecificData.getForClass(type);
        Schema current = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, current);
        this.decoder = new BinaryMessageDecoder<>(model, current);
        knownFingerprints.put(SchemaNormalization.parsingFingerprint64(current), "current");
        int v = 1;
        for (Schema old : SchemaHistory.versions(type.getSimpleName())) {
            decoder.addSchema(old);
            knownFingerprints.putIfAbsent(SchemaNormalization.parsingFingerprint64(old), "v" + v);
            v++;
        }
    }

    /** A serde for the given generated class, reading every kept version of its schema. */
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        return new AvroSerde<>(type);
    }

    /** Encodes {@code value} (null stays null). */
    public byte[] encode(T value) {
        if (value == null) {
            return null;
        }
        try {
            ByteBuffer buffer = encoder.encode(value);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes bytes written by {@link #encode} under any known schema version (null stays null).
     *
     * @param where where the bytes came from (topic, file...), for the error message
     * @throws SerializationException if the bytes are not single-object encoded, carry an
     *     unknown schema fingerprint, or are truncated
     */
    public T decode(String where, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new SerializationException(String.format(
                    "%s: unknown Avro schema fingerprint %s for %s (known: %s)",
                    where, fingerprintOf(bytes), type.getSimpleName(), known()));
        } catch (BadHeaderException e) {
            throw new SerializationException(String.format(
                    "%s: not an Avro single-object encoded %s (bad header)", where, type.getSimpleName()));
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(String.format(
                    "%s: corrupt %s (%d bytes): %s", where, type.getSimpleName(), bytes.length, e.getMessage()));
        }
    }

    /** As {@link #decode(String, byte[])}, reading the buffer's remaining bytes without copying them first. */
    public T decode(String where, ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return decoder.decode(bytes.duplicate());
        } catch (MissingSchemaException | BadHeaderException e) {
            byte[] copy = new byte[bytes.remaining()];
            bytes.duplicate().get(copy);
            return decode(where, copy); // the byte[] path words the error
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(String.format(
                    "%s: corrupt %s (%d bytes): %s", where, type.getSimpleName(), bytes.remaining(), e.getMessage()));
        }
    }

    private String known() {
        return knownFingerprints.entrySet().stream()
                .map(e -> e.getValue() + "=" + hex(e.getKey()))
                .collect(Collectors.joining(", "));
    }

    private static String fingerprintOf(byte[] bytes) {
        if (bytes.length < 10) {
            return "(truncated)";
        }
        long fp = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return hex(fp);
    }

    private static String hex(long fingerprint) {
        return "0x" + HexFormat.of().toHexDigits(fingerprint);
    }

    /** The generated class this serde handles. */
    public Class<T> type() {
        return type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> encode(data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> decode("topic " + topic, data);
    }
}
