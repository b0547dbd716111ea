package io.strongroom.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.ArchiveIndexEntry;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.avro.OpenSegment;
import io.strongroom.avro.SegmentHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
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
    private static final Set<String> SHARED_TYPES = Set.of("SourcePosition", "Classification");

    /** Every top-level schema file: a new one without kept history fails the test below. */
    static List<String> recordSchemas() throws Exception {
        try (var files = Files.list(Path.of("src/main/avro"))) {
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

    /**
     * The one enum insertion released before the rule existed: AuditEvent v2 put
     * {@code DESCRIBE_KEY} between {@code DESTROY_KEY} and {@code REWRAP}. Avro resolves enums by
     * name, so readers were fine, but anything that depends on a symbol's ordinal (the old
     * audit hash re-encoded events under the current schema) broke. Kept, never extended.
     */
    static final Set<String> HISTORICAL_ENUM_EXCEPTIONS = Set.of("AuditEvent v2: io.strongroom.avro.AuditAction");

    @ParameterizedTest
    @MethodSource("recordSchemas")
    void enumSymbolsOnlyGrowAtTheEnd(String name) throws Exception {
        List<Schema> versions = new ArrayList<>(SchemaHistory.versions(name));
        versions.add(current(name));
        List<String> problems = enumReorderings(name, versions).stream()
                .filter(p -> HISTORICAL_ENUM_EXCEPTIONS.stream().noneMatch(p::startsWith)).toList();
        assertThat(problems).as("%s: append new enum symbols at the end, never in between", name).isEmpty();
    }

    @Test
    void theHistoricalExceptionIsStillDetectedByTheRule() {
        // the exception list must stay honest: it names a real violation, and only that one
        List<String> problems = enumReorderings("AuditEvent", SchemaHistory.versions("AuditEvent"));
        assertThat(problems).singleElement().asString()
                .startsWith("AuditEvent v2: io.strongroom.avro.AuditAction")
                .contains("DESCRIBE_KEY");
    }

    @Test
    void theEnumRuleCatchesASymbolInsertedMidEnum() throws Exception {
        Schema latest = current("KeyVersionEvent");
        Schema inserted = withEnumSymbols(latest, symbols -> symbols.add(1, "INSERTED"));
        Schema appended = withEnumSymbols(latest, symbols -> symbols.add("APPENDED"));

        assertThat(enumReorderings("KeyVersionEvent", List.of(latest, inserted)))
                .singleElement().asString().contains("INSERTED").startsWith("KeyVersionEvent v2");
        assertThat(enumReorderings("KeyVersionEvent", List.of(latest, appended))).isEmpty();
        // a removed or reordered symbol breaks the prefix too
        Schema removed = withEnumSymbols(latest, symbols -> symbols.remove(0));
        assertThat(enumReorderings("KeyVersionEvent", List.of(latest, removed))).hasSize(1);
    }

    /**
     * For each named enum in version N+1, its symbols must start with all of version N's symbols
     * in the same order: new symbols only at the end.
     */
    static List<String> enumReorderings(String name, List<Schema> versions) {
        List<String> problems = new ArrayList<>();
        for (int newer = 1; newer < versions.size(); newer++) {
            Map<String, List<String>> before = enums(versions.get(newer - 1));
            Map<String, List<String>> after = enums(versions.get(newer));
            for (var e : before.entrySet()) {
                List<String> now = after.get(e.getKey());
                if (now == null) {
                    continue; // a type that went away is the compatibility check's business
                }
                List<String> old = e.getValue();
                if (now.size() < old.size() || !now.subList(0, old.size()).equals(old)) {
                    problems.add(name + " v" + (newer + 1) + ": " + e.getKey()
                            + " symbols must only grow at the end: was " + old + ", now " + now);
                }
            }
        }
        return problems;
    }

    private static Map<String, List<String>> enums(Schema schema) {
        Map<String, List<String>> out = new TreeMap<>();
        collectEnums(schema, out, new HashSet<>());
        return out;
    }

    private static void collectEnums(Schema s, Map<String, List<String>> out, Set<String> seen) {
        switch (s.getType()) {
            case ENUM -> out.put(s.getFullName(), s.getEnumSymbols());
            case RECORD -> {
                if (seen.add(s.getFullName())) {
                    s.getFields().forEach(f -> collectEnums(f.schema(), out, seen));
                }
            }
            case ARRAY -> collectEnums(s.getElementType(), out, seen);
            case MAP -> collectEnums(s.getValueType(), out, seen);
            case UNION -> s.getTypes().forEach(t -> collectEnums(t, out, seen));
            default -> { }
        }
    }

    /** A copy of {@code schema} (parsed anew) whose first enum's symbols were changed by {@code edit}. */
    private static Schema withEnumSymbols(Schema schema, Consumer<List<String>> edit) {
        String enumName = enums(schema).keySet().iterator().next();
        List<String> symbols = new ArrayList<>(enums(schema).get(enumName));
        String json = schema.toString();
        String oldList = symbols.stream().map(x -> "\"" + x + "\"").collect(Collectors.joining(","));
        edit.accept(symbols);
        String newList = symbols.stream().map(x -> "\"" + x + "\"").collect(Collectors.joining(","));
        assertThat(json).contains(oldList);
        return new Schema.Parser().parse(json.replace(oldList, newList));
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
