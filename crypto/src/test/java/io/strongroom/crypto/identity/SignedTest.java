package io.strongroom.crypto.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.crypto.identity.UntrustedObjectException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signed envelope against whoever can write the bucket, and against a service signing what it may not. */
class SignedTest {
    private static final String KEY = "prod/acme/_manifests/2026/01/01/s0-1-2.json";
    private final SigningIdentity archiver = SigningIdentity.generate(Role.ARCHIVER, "prod");
    private final SigningIdentity ingest = SigningIdentity.generate(Role.INGEST, "prod");
    private final TrustFile trust = TrustFile.empty("prod").with(archiver).with(ingest);
    private final byte[] payload = "{\"segments\":[]}".getBytes(StandardCharsets.UTF_8);

    private Signed.Opened open(byte[] bytes, String type, String context, TrustFile t) {
        return Signed.open("s3://b/" + context, bytes, type, context, t, Set.of(Role.ARCHIVER));
    }

    private static Reason reasonOf(Runnable r) {
        try {
            r.run();
        } catch (UntrustedObjectException e) {
            return e.reason();
        }
        throw new AssertionError("trusted");
    }

    @Test
    void whatTheArchiverSignedOpensAsSigned() {
        Signed.Opened opened = open(Signed.sign(archiver, "manifest", KEY, payload), "manifest", KEY, trust);

        assertThat(opened.payload()).isEqualTo(payload);
        assertThat(opened.keyId()).isEqualTo(archiver.keyId()).startsWith("archiver-");
        assertThat(opened.role()).isEqualTo(Role.ARCHIVER);
    }

    @Test
    void anAlteredPayloadDoesNotVerify() {
        String signed = new String(Signed.sign(archiver, "manifest", KEY, payload), StandardCharsets.UTF_8);
        String forged = signed.replaceFirst("\"payload\":\"[^\"]+\"", "\"payload\":\""
                + Base64.getEncoder().encodeToString("{\"segments\":[1]}".getBytes(StandardCharsets.UTF_8)) + "\"");
        assertThat(forged).isNotEqualTo(signed);

        assertThat(reasonOf(() -> open(forged.getBytes(StandardCharsets.UTF_8), "manifest", KEY, trust)))
                .isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void anEnvelopeMovedToAnotherTenantsNameIsRefused() {
        byte[] signed = Signed.sign(archiver, "manifest", KEY, payload);

        assertThat(reasonOf(() -> open(signed, "manifest", KEY.replace("/acme/", "/globex/"), trust)))
                .isEqualTo(Reason.WRONG_CONTEXT);
    }

    @Test
    void aTrustedKeyOfAnotherRoleMayNotSignIt() {
        assertThatThrownBy(() -> open(Signed.sign(ingest, "manifest", KEY, payload), "manifest", KEY, trust))
                .isInstanceOf(UntrustedObjectException.class).hasMessageContaining(ingest.keyId())
                .hasMessageContaining("role INGEST").hasMessageContaining("may not sign a manifest");
    }

    @Test
    void anUntrustedKeyAnotherTypeAnotherEnvironmentAndAPlainObjectAreRefused() {
        SigningIdentity stranger = SigningIdentity.generate(Role.ARCHIVER, "prod");
        assertThat(reasonOf(() -> open(Signed.sign(stranger, "manifest", KEY, payload), "manifest", KEY, trust)))
                .isEqualTo(Reason.UNKNOWN_KEY);
        assertThat(reasonOf(() -> open(Signed.sign(archiver, "prune-marker", KEY, payload), "manifest", KEY, trust)))
                .isEqualTo(Reason.WRONG_TYPE);
        SigningIdentity staging = SigningIdentity.generate(Role.ARCHIVER, "staging");
        TrustFile both = TrustFile.empty("staging").with(staging);
        assertThat(reasonOf(() -> open(Signed.sign(staging, "manifest", KEY, payload), "manifest", KEY, trust)))
                .as("a staging key is not in prod's trust").isEqualTo(Reason.UNKNOWN_KEY);
        assertThat(open(Signed.sign(staging, "manifest", KEY, payload), "manifest", KEY, both).role()).isEqualTo(Role.ARCHIVER);
        assertThat(reasonOf(() -> open(payload, "manifest", KEY, trust))).isEqualTo(Reason.UNSIGNED);
        assertThat(reasonOf(() -> open("{\"signedFormat\": 1, \"payload\": \"!!\"}".getBytes(StandardCharsets.UTF_8),
                "manifest", KEY, trust))).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void aKeyRemovedFromTheTrustFileNoLongerVerifies(@TempDir Path dir) throws Exception {
        byte[] signed = Signed.sign(archiver, "manifest", KEY, payload);
        trust.write(dir.resolve("trust.json"));
        TrustFile reloaded = TrustFile.load(dir.resolve("trust.json"));

        assertThat(open(signed, "manifest", KEY, reloaded).keyId()).isEqualTo(archiver.keyId());
        assertThat(reasonOf(() -> open(signed, "manifest", KEY, reloaded.without(archiver.keyId()))))
                .isEqualTo(Reason.UNKNOWN_KEY);
    }

    @Test
    void aTrustEntryWhoseIdIsNotItsKeysIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("trust.json");
        trust.write(file);
        Files.writeString(file, Files.readString(file).replace(archiver.keyId(), "archiver-0000000000000000"));

        assertThatThrownBy(() -> TrustFile.load(file)).hasMessageContaining("archiver-0000000000000000")
                .hasMessageContaining("a wrong key was pasted");
    }

    @Test
    void anIdentityFileIsOwnerOnlyAndNeverReplaced(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("archiver.identity.json");
        SigningIdentity made = IdentityFile.create(file, Role.ARCHIVER, "prod");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        SigningIdentity loaded = IdentityFile.load(file);
        assertThat(loaded.keyId()).isEqualTo(made.keyId());
        assertThat(open(Signed.sign(loaded, "manifest", KEY, payload), "manifest", KEY, TrustFile.empty("prod").with(made))
                .payload()).isEqualTo(payload);
        assertThatThrownBy(() -> IdentityFile.create(file, Role.ARCHIVER, "prod")).hasMessageContaining("already exists");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> IdentityFile.load(file)).hasMessageContaining("chmod 600");
    }
}
