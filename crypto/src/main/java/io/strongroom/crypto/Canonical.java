package io.strongroom.crypto;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Canonical encodings of associated data: fields in a fixed order, strings and byte strings as
 * {@code int32 length | bytes} (UTF-8), integers big-endian, so that no two different field lists encode alike.
 */
public final class Canonical {
    private Canonical() {}

    /** Writes fields to a {@link DataOutputStream}. */
    public interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    /** The bytes {@code writer} writes. */
    public static byte[] bytes(int sizeHint, Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(sizeHint);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** {@code int32 length | UTF-8 bytes} of {@code s}. */
    public static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }
}
