package io.strongroom.archiver;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Least privilege by construction: the archiver moves ciphertext and can decrypt nothing. */
class ArchiverHoldsNoKeysTest {
    private static final JavaClasses ARCHIVER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.strongroom.archiver");

    @Test
    void theArchiverNeverTouchesAKmsADataKeyOrACipher() {
        noClasses().that().resideInAPackage("io.strongroom.archiver..")
                .should().dependOnClassesThat().resideInAnyPackage("io.strongroom.crypto.kms..", "com.google.crypto.tink..",
                        "javax.crypto..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.strongroom.crypto.SegmentOpener")
                .because("the archiver holds no key that decrypts anything (DESIGN.md invariant 8)")
                .check(ARCHIVER);
    }
}
