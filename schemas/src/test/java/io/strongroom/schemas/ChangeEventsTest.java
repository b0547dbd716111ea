package io.strongroom.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.Classification;
import io.strongroom.avro.Op;
import io.strongroom.avro.SourcePosition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ChangeEventsTest {
    private static final String VALUE = "{\"before\":null,\"after\":{\"n\":1e-30,\"é\":\"ü\"},\"source\":{\"lsn\":5},\"op\":\"c\"}";

    private static ChangeEvent event(List<Integer> spans, String value) {
        return ChangeEvent.newBuilder().setEventId("t/0/1").setTenant("acme").setTable("public.t").setOp(Op.CREATE)
                .setClassification(Classification.CONFIDENTIAL).setSource(new SourcePosition("t", 0, 1L, 0L))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)))
                .setTextSpans(spans).build();
    }

    private static int at(String part) {
        return VALUE.substring(0, VALUE.indexOf(part)).getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void theSpannedTextsComeBackFromTheValueByteOffsetsOverMultiByteCharacters() {
        String after = "{\"n\":1e-30,\"é\":\"ü\"}";
        String source = "{\"lsn\":5}";
        int afterEnd = at(after) + after.getBytes(StandardCharsets.UTF_8).length;
        ChangeEvent e = ChangeEvents.withText(event(List.of(-1, -1, at(after), afterEnd, at(source), at(source) + source.length(),
                -1, -1), VALUE));
        assertThat(e.getAfter()).isEqualTo(after);
        assertThat(e.getSourceInfo()).isEqualTo(source);
        assertThat(e.getBefore()).isNull();
        assertThat(e.getRowSchema()).isNull();
        assertThat(e.getTextSpans()).isNull();
        ChangeEvent plain = ChangeEvent.newBuilder(event(null, VALUE)).setAfter("{}").build();
        assertThat(ChangeEvents.withText(plain).getAfter()).as("no spans: as it was").isEqualTo("{}");
    }

    @Test
    void spansOutsideTheValueOrWithoutOneAreRefusedNamingTheEvent() {
        assertThatThrownBy(() -> ChangeEvents.withText(event(List.of(-1, -1, 0, 9999, -1, -1, -1, -1), VALUE)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("t/0/1").hasMessageContaining("after");
        assertThatThrownBy(() -> ChangeEvents.withText(event(List.of(-1, -1, 5, 2, -1, -1, -1, -1), VALUE)))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> ChangeEvents.withText(event(List.of(-1, -1), VALUE)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("2 text spans");
        assertThatThrownBy(() -> ChangeEvents.withText(event(List.of(-1, -1, 0, 1, -1, -1, -1, -1), null)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("no original value");
    }
}
