package io.strongroom.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.avro.OpenSegment;
import io.strongroom.avro.SegmentHeader;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every schema version kept under {@code src/main/avro/history} must stay compatible, in both
 * directions, with all of its predecessors: new readers read old archives (backward) and old
 * readers tolerate new writers during a rolling upgrade (forward).
 */
class SchemaCompatibilityTest {

    /** Shared named types, compiled into the records that use them (no history of their own). */
    private static final java.util.Set<String> SHARED_TYPES = java.util.Set.of("SourcePosition", "Classification");

    /** Every top-level schema file: a new one without kept history fails the test below. */
    static List<String> recordSchemas() throws Exception {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/avro"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".avsc"))
                    .map(n -> n.substring(0, n.length() - ".avsc".length())).filter(n -> !SHARED_TYPES.contains(n))
                    .sorted().toList();
        }
    }

    @Test
    void everySchemaFileIsChecked() throws Exception {
        assertThat(recordSchemas()).contains("ChangeEvent", "SegmentHeader", "DeadLetter", "DeadLetterPayload").hasSizeGreaterThan(7);
    }

    static Schema current(String name) throws Exception {
        return (Schema) Class.forName("io.strongroom.avro." + name).getField("SCHEMA$").get(null);
    }

    @ParameterizedTest
    @MethodSource("recordSchemas")
    void newestKeptVersionIsTheCurrentSchema(String name) throws Exception {
        List<Schema> history = SchemaHistory.versions(name);
        assertThat(history).as("versions kept for %s", name).isNotEmpty();
        Schema current = current(name);
        assertThat(SchemaNormalization.parsingFingerprint64(history.get(history.size() - 1)))
                .as("%s changed: keep the new version as src/main/avro/history/%s/v%d.avsc:%n%s",
                        name, name, history.size() + 1, current.toString(true))
                .isEqualTo(SchemaNormalization.parsingFingerprint64(current));
    }

    @ParameterizedTest
    @MethodSource("recordSchemas")
    void everyVersionIsCompatibleWithAllItsPredecessors(String name) throws Exception {
        List<Schema> versions = new ArrayList<>(SchemaHistory.versions(name));
        versions.add(current(name));
        assertThat(incompatibilities(versions)).as(name).isEmpty();
    }

    @Test
    void theCheckCatchesARequiredFieldAddedWithoutDefault() throws Exception {
        Schema v1 = current("ChangeEvent");
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : v1.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("mandatoryNewField", SchemaBuilder.builder().stringType()));
        Schema broken = Schema.createRecord(v1.getName(), v1.getDoc(), v1.getNamespace(), false, fields);

        assertThat(incompatibilities(List.of(v1, broken)))
                .singleElement().asString().contains("mandatoryNewField");
    }

    @Test
    void topicDescriptorsCoverEveryTopicOnce() {
        assertThat(Topics.ALL).extracting(Topic::name).doesNotHaveDuplicates()
                .allMatch(n -> n.startsWith("strongroom."));
        assertThat(List.of(ChangeEvent.class, KeyVersionEvent.class, AuditEvent.class, ArchiveIndexEntry.class,
                DeadLetter.class, SegmentHeader.class, OpenSegment.class)).hasSize(7);
    }

    static List<String> incompatibilities(List<Schema> versions) {
        List<String> problems = new ArrayList<>();
        for (int newer = 1; newer < versions.size(); newer++) {
            for (int older = 0; older < newer; older++) {
                check(problems, "v" + (newer + 1) + " reading v" + (older + 1), versions.get(newer), versions.get(older));
                check(problems, "v" + (older + 1) + " reading v" + (newer + 1), versions.get(older), versions.get(newer));
            }
        }
        return problems;
    }

    private static void check(List<String> problems, String what, Schema reader, Schema writer) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
            problems.add(what + ": " + result.getResult().getIncompatibilities());
        }
    }
}
