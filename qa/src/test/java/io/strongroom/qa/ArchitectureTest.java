package io.strongroom.qa;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module boundaries around the archive: one module ({@code archive}) owns the layout of the bucket, and
 * what reads the archive (restore, the coordinator) does not depend on what writes it (the archiver). And the
 * production modules depend neither on the testkit nor on module {@code sandbox} (demo, local).
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.strongroom");

    /**
     * The classes of module {@code sandbox}. They live in cli's packages ({@code io.strongroom.cli},
     * {@code io.strongroom.cli.demo}), so they are told by where they were loaded from: the module's
     * {@code target/classes}, its jar in the reactor, or its installed jar.
     */
    static final DescribedPredicate<JavaClass> IN_SANDBOX = DescribedPredicate.describe("in module sandbox",
            c -> c.getSource().map(s -> {
                String uri = s.getUri().toString();
                return uri.contains("/sandbox/target/classes/") || uri.contains("/strongroom-sandbox-");
            }).orElse(false));

    /** Production code: every module's main classes but the testkit's, the sandbox's and the benchmarks'. */
    static final DescribedPredicate<JavaClass> PRODUCTION = DescribedPredicate.describe("in a production module",
            c -> !IN_SANDBOX.test(c) && !c.getPackageName().startsWith("io.strongroom.testkit")
                    && !c.getPackageName().startsWith("io.strongroom.bench"));

    @Test
    void restoreAndTheCoordinatorDoNotDependOnTheArchiver() {
        noClasses().that().resideInAnyPackage("io.strongroom.restore..", "io.strongroom.coordinator..")
                .should().dependOnClassesThat().resideInAPackage("io.strongroom.archiver..")
                .because("the archive's layout and catalog live in module archive; reading it needs no writer")
                .check(MAIN);
    }

    @Test
    void theArchiveModuleDependsOnCryptoAndSchemasOnly() {
        noClasses().that().resideInAPackage("io.strongroom.archive")
                .should().dependOnClassesThat().resideInAnyPackage("io.strongroom.archiver..", "io.strongroom.restore..",
                        "io.strongroom.coordinator..", "io.strongroom.cli..", "io.strongroom.ingest..",
                        "io.strongroom.encryptor..", "io.strongroom.anomaly..", "io.strongroom.testkit..")
                .check(MAIN);
    }

    @Test
    void theArchiveModuleHoldsNoKeyThatDecrypts() {
        noClasses().that().resideInAPackage("io.strongroom.archive")
                .should().dependOnClassesThat().resideInAnyPackage("io.strongroom.crypto.kms..", "javax.crypto..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.strongroom.crypto.SegmentOpener")
                .because("the archiver uses it, and the archiver holds no key that decrypts anything (DESIGN.md invariant 8)")
                .check(MAIN);
    }

    static final ArchRule NO_TEST_CODE = noClasses().that(PRODUCTION)
            .should().dependOnClassesThat().resideInAnyPackage("io.strongroom.testkit..", "kafka..", "scala..", "org.gaul..",
                    "org.junit..", "org.assertj..", "org.awaitility..")
            .because("the production jar (cli/target/strongroom.jar, the Docker image's) carries no test library, "
                    + "embedded broker or S3Proxy: what needs them belongs in module sandbox");

    static final ArchRule NO_SANDBOX = noClasses().that(PRODUCTION).should().dependOnClassesThat(IN_SANDBOX)
            .because("demo and local are in the sandbox jar only; the production jar must run without it");

    @Test
    void noProductionModuleDependsOnTheTestkitOrTheEmbeddedServers() {
        NO_TEST_CODE.check(MAIN);
    }

    @Test
    void noProductionModuleDependsOnTheSandbox() {
        NO_SANDBOX.check(MAIN);
    }

    /** Production code as the two rules above see it (package io.strongroom.qa is neither sandbox nor testkit). */
    static final class UsesSandboxAndTestkit {
        Object sandbox = io.strongroom.cli.SandboxMain.commandLine();
        Object kafka = io.strongroom.testkit.EmbeddedKafka.class;
    }

    @Test
    void theRulesFailOnProductionCodeThatUsesTheSandboxOrTheTestkit() {
        JavaClasses classes = new ClassFileImporter().importClasses(UsesSandboxAndTestkit.class, io.strongroom.cli.SandboxMain.class,
                io.strongroom.testkit.EmbeddedKafka.class);
        assertThat(NO_SANDBOX.evaluate(classes).getFailureReport().getDetails())
                .anyMatch(d -> d.contains("UsesSandboxAndTestkit") && d.contains("io.strongroom.cli.SandboxMain"));
        assertThat(NO_TEST_CODE.evaluate(classes).getFailureReport().getDetails())
                .anyMatch(d -> d.contains("UsesSandboxAndTestkit") && d.contains("io.strongroom.testkit.EmbeddedKafka"));
    }

    @Test
    void theSandboxClassesAreFoundWhereTheyAre() {
        assertThat(MAIN.get("io.strongroom.cli.SandboxMain")).matches(IN_SANDBOX::test, "in module sandbox");
        assertThat(MAIN.get("io.strongroom.cli.DemoCommand")).matches(IN_SANDBOX::test, "in module sandbox");
        assertThat(MAIN.get("io.strongroom.cli.demo.Sandbox")).matches(IN_SANDBOX::test, "in module sandbox");
        assertThat(MAIN.get("io.strongroom.cli.Main")).matches(PRODUCTION::test, "in a production module");
        assertThat(MAIN.get("io.strongroom.crypto.Segment")).matches(PRODUCTION::test, "in a production module");
        assertThat(MAIN.get("io.strongroom.testkit.EmbeddedKafka")).matches(c -> !PRODUCTION.test(c), "not production");
    }

    /** A reserved name of the bucket's layout, as a string literal would spell it. */
    static final Pattern RESERVED = Pattern.compile("\"[^\"\\n]*(_manifests|_pruned|_legal-holds|_quarantine|_audit/|_chain-heads|_attested|/rewrap-)");

    /** Main sources outside module {@code archive} that spell a reserved name of the archive's layout. */
    static List<String> spellers(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(p);
                if (rel.getNameCount() < 3 || !rel.subpath(1, 3).toString().equals(Path.of("src", "main").toString())
                        || rel.getName(0).toString().equals("archive")) {
                    continue;
                }
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).trim();
                    if (!line.startsWith("*") && !line.startsWith("//") && RESERVED.matcher(line).find()) {
                        found.add(rel + ":" + (i + 1) + ": " + line);
                    }
                }
            }
        }
        return found;
    }

    @Test
    void noModuleButArchiveSpellsAReservedPrefix() throws IOException {
        assertThat(spellers(Path.of("..").toAbsolutePath().normalize()))
                .as("use io.strongroom.archive.ArchiveLayout for every object name of the archive").isEmpty();
    }

    @Test
    void theScanFindsASpelledPrefix(@TempDir Path root) throws IOException {
        Path file = Files.createDirectories(root.resolve("restore/src/main/java/x")).resolve("X.java");
        Files.writeString(file, "class X {\n  String k = env + \"/_quarantine/\";\n}\n");
        Files.writeString(Files.createDirectories(root.resolve("archive/src/main/java/x")).resolve("Y.java"),
                "class Y { String k = \"_pruned\"; }\n");
        Files.writeString(Files.createDirectories(root.resolve("cli/src/test/java/x")).resolve("Z.java"),
                "class Z { String k = \"_legal-holds\"; }\n");

        assertThat(spellers(root)).containsExactly(Path.of("restore/src/main/java/x/X.java") + ":2: String k = env + \"/_quarantine/\";");
    }
}
