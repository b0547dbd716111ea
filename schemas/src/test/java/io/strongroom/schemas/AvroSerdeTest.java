package io.strongroom.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.RecordHeader;
import io.strongroom.avro.SourcePosition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
    private final AvroSerde<ChangeEvent> serde = AvroSerde.of(ChangeEvent.class);

    static ChangeEvent sample() {
        return ChangeEvent.newBuilder()
                .setEventId("cdc.acme.public.orders/0/42")
                .setTenant("acme").setTable("public.orders").setOp(Op.UPDATE)
                .setClassification(Classification.CONFIDENTIAL)
                .setKey("{\"id\":7}").setBefore("{\"id\":7,\"total\":\"1.00\"}").setAfter("{\"id\":7,\"total\":\"2.50\"}")
                .setEventTimeMs(1_700_000_000_000L)
                .setSource(new SourcePosition("cdc.acme.public.orders", 0, 42L, 1_700_000_000_123L))
                .setOriginalKey(ByteBuffer.wrap("{\"id\":7}".getBytes(StandardCharsets.UTF_8)))
                .setHeaders(List.of(new RecordHeader("trace", ByteBuffer.wrap(new byte[] {1, 2})), new RecordHeader("empty", null)))
                .build();
    }

    @Test
    void roundTripKeepsEveryField() {
        ChangeEvent event = sample();
        byte[] bytes = serde.serializer().serialize("t", event);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(event);
    }

    @Test
    void nullStaysNull() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    @Test
    void unknownFingerprintIsRejectedNamingTypeTopicAndFingerprint() {
        byte[] bytes = serde.encode(sample());
        bytes[2] ^= 0x5A; // corrupt the fingerprint
        assertThatThrownBy(() -> serde.deserializer().deserialize("strongroom.changes", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("topic strongroom.changes")
                .hasMessageContaining("unknown Avro schema fingerprint 0x")
                .hasMessageContaining("ChangeEvent");
    }

    @Test
    void bytesThatAreNotSingleObjectEncodedAreRejected() {
        byte[] json = "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> serde.decode("file x.jsonl", json))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("file x.jsonl: not an Avro single-object encoded ChangeEvent");
    }

    @Test
    void truncatedBytesAreRejectedAsCorrupt() {
        byte[] bytes = serde.encode(sample());
        byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
        assertThatThrownBy(() -> serde.decode("segment s1", truncated))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("segment s1: corrupt ChangeEvent");
    }
}
