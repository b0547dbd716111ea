package io.strongroom.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every released version of a schema, kept as self-contained {@code .avsc} files under
 * {@code src/main/avro/history/<Name>/v<N>.avsc} and shipped on the classpath under
 * {@code strongroom/avro/history/}. The newest kept version must equal the current compiled
 * schema (checked by {@code SchemaCompatibilityTest}), and every version must stay compatible
 * with its predecessors, so that archives written years ago remain readable.
 */
public final class SchemaHistory {
    private static final String ROOT = "strongroom/avro/history/";

    private SchemaHistory() {}

    /**
     * The kept versions of the named schema, oldest first.
     *
     * @param simpleName the record's simple name, e.g. {@code ChangeEvent}
     * @return the versions v1..vN; empty if none are kept
     */
    public static List<Schema> versions(String simpleName) {
        List<Schema> versions = new ArrayList<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int v = 1; ; v++) {
            String resource = ROOT + simpleName + "/v" + v + ".avsc";
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema history " + resource, e);
            }
        }
    }
}
