package io.strongroom.qa;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.strongroom.cli.SandboxMain;
import io.strongroom.crypto.kms.KeyAdmin;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.KmsProvider;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.encryptor.internal.EncryptorTopology;
import io.strongroom.testkit.EmbeddedKafka;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module boundaries around the archive: one module ({@code archive}) owns the layout of the bucket, and
 * what reads the archive (restore, the coordinator) does not depend on what writes it (the archiver). And the KMS
 * SPI's split: the data plane ({@link Kms}) has no key administration in it, and the services that seal and open
 * segments see the data plane only. And the production modules depend neither on the testkit nor on module
 * {@code sandbox} (demo, local), none of their commands calls another, and none uses another module's
 * {@code .internal} package.
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

    /** The top-level class {@code c} is nested in (itself if it is one). */
    private static JavaClass topLevel(JavaClass c) {
        JavaClass t = c;
        while (t.getEnclosingClass().isPresent()) {
            t = t.getEnclosingClass().get();
        }
        return t;
    }

    /** A command: a top-level class of the CLI whose name ends in {@code Command}. */
    private static boolean isCommand(JavaClass c) {
        JavaClass t = topLevel(c);
        return t.getPackageName().equals("io.strongroom.cli") && t.getSimpleName().endsWith("Command");
    }

    @Test
    void noCommandCallsAnotherCommand() {
        ArchCondition<JavaClass> callNoOtherCommand = new ArchCondition<>("call no other command's code") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                for (JavaAccess<?> a : c.getAccessesFromSelf()) {
                    JavaClass target = a.getTargetOwner();
                    if (isCommand(target) && !topLevel(target).equals(topLevel(c))) {
                        events.add(SimpleConditionEvent.violated(c, a.getDescription()));
                    }
                }
            }
        };
        classes().that(new DescribedPredicate<JavaClass>("are commands or services of the CLI") {
            @Override
            public boolean test(JavaClass c) {
                return topLevel(c).getPackageName().startsWith("io.strongroom.cli") && !topLevel(c).getSimpleName().equals("Main")
                        && PRODUCTION.test(c); // the sandbox's local/soak tooling drives LocalCommand's processes
            }
        }).should(callNoOtherCommand)
                .because("a command parses, loads configuration, calls a service or job and prints; what two need lives "
                        + "outside both (picocli's subcommands = … is no call)")
                .check(MAIN);
    }

    /** The names of {@link KeyAdmin}'s methods: key administration. */
    private static final Set<String> ADMIN = Stream.of(KeyAdmin.class.getMethods()).map(Method::getName)
            .collect(Collectors.toSet());

    @Test
    void theDataPlaneInterfaceDeclaresNoAdminMethod() {
        assertThat(ADMIN).as("KeyAdmin's methods").contains("createKek", "rotate", "describe", "disable", "enable",
                "scheduleDestroy", "destroy", "unwrapDekKeyset");
        methods().that().areDeclaredIn(Kms.class)
                .should().haveNameNotMatching(String.join("|", ADMIN))
                .because("key administration is KeyAdmin's; the data plane generates, unwraps and wraps data keys")
                .check(MAIN);
        classes().that().haveFullyQualifiedName(Kms.class.getName())
                .should().notBeAssignableTo(KeyAdmin.class)
                .check(MAIN);
        assertThat(Stream.of(Kms.class.getMethods()).map(Method::getName).collect(Collectors.toSet()))
                .as("the data plane, inherited methods too").containsExactlyInAnyOrder("keyIdFor", "generateDek", "unwrapDek",
                        "wrapDek", "close");
    }

    @Test
    void theEncryptorIngestAndRestoreDoNotAdministerKeys() {
        noClasses().that().resideInAnyPackage("io.strongroom.encryptor..", "io.strongroom.ingest..", "io.strongroom.restore..")
                .should().dependOnClassesThat().areAssignableTo(KeyAdmin.class)
                .orShould().dependOnClassesThat().areAssignableTo(KmsProvider.class)
                .because("they seal and open segments through the data plane (Kms); key administration (KeyAdmin) is the "
                        + "coordinator's and the operator commands', and which backend runs is the CLI's to choose")
                .check(MAIN);
    }

    @Test
    void onlyStreamsAppRunsAKafkaStreamsClient() {
        noClasses().that().resideOutsideOfPackage("io.strongroom.streams..")
                .should().callConstructorWhere(new DescribedPredicate<JavaConstructorCall>("a KafkaStreams constructor") {
                    @Override
                    public boolean test(JavaConstructorCall call) {
                        return call.getTargetOwner().isAssignableTo(KafkaStreams.class);
                    }
                })
                .because("ingest, the encryptor and the anomaly detector run as io.strongroom.streams.StreamsApp: one set of "
                        + "common properties, error policy, health and ordered close")
                .check(MAIN);
    }

    @Test
    void noCliCodeNamesAKmsBackendsProviderOrConfig() {
        noClasses().that().haveFullyQualifiedName("io.strongroom.cli.KmsFactory")
                .or().resideInAPackage("io.strongroom.cli.config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.strongroom.crypto.kms.local..",
                        "io.strongroom.crypto.kms.pkcs11..", "io.strongroom.crypto.kms.aws..")
                .because("backends are KmsProviders found by ServiceLoader, each binding its own config record")
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
        Object sandbox = SandboxMain.commandLine();
        Object kafka = EmbeddedKafka.class;
    }

    @Test
    void theRulesFailOnProductionCodeThatUsesTheSandboxOrTheTestkit() {
        JavaClasses classes = new ClassFileImporter().importClasses(UsesSandboxAndTestkit.class, SandboxMain.class,
                EmbeddedKafka.class);
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

    /** A module's internal package: {@code io.strongroom.X.internal} or below it; group 1 is the module's base package. */
    static final Pattern INTERNAL_PACKAGE = Pattern.compile("(io\\.strongroom\\.[^.]+)\\.internal(\\..+)?");

    /** Whether {@code origin} is in the module whose internal package {@code target} is in: {@code io.strongroom.X..}. */
    static boolean inTheModuleOf(JavaClass target, JavaClass origin) {
        Matcher m = INTERNAL_PACKAGE.matcher(target.getPackageName());
        if (!m.matches()) {
            return true;
        }
        String module = m.group(1);
        return origin.getPackageName().equals(module) || origin.getPackageName().startsWith(module + ".");
    }

    static final ArchCondition<JavaClass> BE_USED_ONLY_BY_THEIR_OWN_MODULE = new ArchCondition<>(
            "be depended on only by production classes of their own module (io.strongroom.X.. for io.strongroom.X.internal..)") {
        @Override
        public void check(JavaClass target, ConditionEvents events) {
            for (Dependency d : target.getDirectDependenciesToSelf()) {
                JavaClass origin = d.getOriginClass();
                if (PRODUCTION.test(origin) && !inTheModuleOf(target, origin)) {
                    events.add(SimpleConditionEvent.violated(d, d.getDescription()));
                }
            }
        }
    };

    /**
     * {@code .internal} is the module's implementation, not API: every {@code io.strongroom.X.internal..} (X derived from
     * the package name, so a module added later is covered too), used from production code only. The sandbox, the
     * testkit and the benchmarks may use internals, and so may tests.
     */
    static final ArchRule INTERNALS = classes().that().resideInAPackage("io.strongroom.*.internal..").and(PRODUCTION)
            .should(BE_USED_ONLY_BY_THEIR_OWN_MODULE)
            .because("public API is at a module's package root; what is public in .internal is public for that root only");

    @Test
    void internalsAreUsedOnlyByTheirOwnModule() {
        INTERNALS.check(MAIN);
    }

    /**
     * The command line reaches the services, jobs and the KMS through their public API only: no {@code .internal}
     * package at any depth (the rule above checks a module's top-level {@code .internal}; crypto's are nested, as
     * {@code io.strongroom.crypto.kms.internal}).
     */
    @Test
    void cliUsesTheServicesAndJobsThroughTheirPublicApiOnly() {
        noClasses().that().resideInAPackage("io.strongroom.cli..").and(PRODUCTION)
                .should().dependOnClassesThat().resideInAPackage("io.strongroom..internal..")
                .because("cli parses, loads the configuration, calls a service or job and prints").check(MAIN);
    }

    /** Production code of another module (io.strongroom.qa) that uses the encryptor's internals. */
    static final class UsesAnotherModulesInternals {
        Object topology = EncryptorTopology.class;
    }

    @Test
    void theInternalsRuleFailsOnAnotherModulesUseAndAllowsTheModulesOwn() {
        JavaClasses classes = new ClassFileImporter().importClasses(UsesAnotherModulesInternals.class, EncryptorTopology.class,
                EncryptorService.class);
        assertThat(INTERNALS.evaluate(classes).getFailureReport().getDetails())
                .anyMatch(d -> d.contains("UsesAnotherModulesInternals") && d.contains(EncryptorTopology.class.getName()))
                .noneMatch(d -> d.contains(EncryptorService.class.getName() + "."));
        assertThat(MAIN.get(EncryptorTopology.class.getName())).matches(PRODUCTION::test, "in a production module");
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
