package io.strongroom.crypto.kms;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What a wrapped DEK is bound to (KMS encryption context / AAD): environment, tenant and segment.
 * Canonical bytes: {@code "SRDEK" | str environment | str tenant | str segmentId}, each string as
 * {@code int32 length | UTF-8}.
 *
 * @param environment e.g. {@code prod}
 * @param tenant the tenant
 * @param segmentId the segment the DEK encrypts
 */
public record DekContext(String environment, String tenant, String segmentId) {
    public DekContext {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(segmentId, "segmentId");
    }

    /** The canonical bytes above. */
    public byte[] bytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write("SRDEK".getBytes(StandardCharsets.US_ASCII));
            for (String s : new String[] {environment, tenant, segmentId}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
