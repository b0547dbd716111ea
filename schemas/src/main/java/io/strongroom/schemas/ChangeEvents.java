package io.strongroom.schemas;

import io.strongroom.avro.ChangeEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The texts of a change event that are kept once, inside its original value. Ingest archives a
 * Debezium JSON record's value byte for byte ({@code originalValue}); its row images, source block
 * and row schema are parts of that value, so instead of a second copy the event records where they
 * are ({@code textSpans}). A reader calls {@link #withText} to get the event with those fields
 * filled in.
 */
public final class ChangeEvents {
    /** The fields {@code textSpans} locates, in its order. */
    public static final List<String> SPANNED = List.of("before", "after", "sourceInfo", "rowSchema");

    private ChangeEvents() {}

    /**
     * Fills {@code event}'s {@code before}, {@code after}, {@code sourceInfo} and {@code rowSchema} from its original
     * value where its {@code textSpans} say, and clears the spans (the event is changed in place and returned); an event
     * without spans is returned as it is.
     *
     * @throws SerializationException if a span lies outside the original value, or the event has spans and no value
     */
    public static ChangeEvent withText(ChangeEvent event) {
        List<Integer> spans = event.getTextSpans();
        if (spans == null) {
            return event;
        }
        ByteBuffer value = event.getOriginalValue();
        if (spans.size() != 2 * SPANNED.size() || value == null) {
            throw new SerializationException("change event " + event.getEventId() + " has " + spans.size()
                    + " text spans" + (value == null ? " and no original value" : "") + "; expected " + 2 * SPANNED.size()
                    + " offsets into its original value");
        }
        String[] texts = new String[SPANNED.size()];
        for (int i = 0; i < texts.length; i++) {
            int start = spans.get(2 * i);
            int end = spans.get(2 * i + 1);
            if (start == -1 && end == -1) {
                continue;
            }
            if (start < 0 || end < start || end > value.remaining()) {
                throw new SerializationException("change event " + event.getEventId() + ": the span of " + SPANNED.get(i) + ", ["
                        + start + ", " + end + "), lies outside its original value of " + value.remaining() + " bytes");
            }
            ByteBuffer part = value.duplicate();
            part.position(value.position() + start).limit(value.position() + end);
            texts[i] = StandardCharsets.UTF_8.decode(part).toString();
        }
        if (texts[0] != null) {
            event.setBefore(texts[0]);
        }
        if (texts[1] != null) {
            event.setAfter(texts[1]);
        }
        if (texts[2] != null) {
            event.setSourceInfo(texts[2]);
        }
        if (texts[3] != null) {
            event.setRowSchema(texts[3]);
        }
        event.setTextSpans(null);
        return event;
    }
}
