package io.strongroom.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.Signed;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.crypto.identity.UntrustedObjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The detached signature of a report file (JSON or HTML), written beside it as {@code FILE.sig}, so the
 * report itself stays byte for byte what {@code jq} or a browser reads. The signature file is a
 * {@link Signed} envelope of type {@value #TYPE} whose context is {@code sha256:<hex of the report file's
 * exact bytes>} — binding the signature to those bytes — and whose payload is a small JSON statement:
 *
 * <pre>
 * {"sha256": "&lt;hex&gt;", "bytes": N, "format": "json" | "html", "tenant": "acme", "from": "…", "until": "…",
 *  "generatedAt": "…"}
 * </pre>
 *
 * The envelope names the signer's key id, role, environment and signing time. Only {@link #SIGNERS} may
 * sign a report. Checking one needs the two files and a trust file: no Kafka, S3 or KMS.
 */
final class ReportSignature {
    static final String TYPE = "report";
    /** The roles that may sign a report: an operator by hand, the coordinator on a schedule. */
    static final Set<Role> SIGNERS = Set.of(Role.OPERATOR, Role.COORDINATOR);
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Why a report is not trusted; each names itself in the one line {@code report verify} prints. */
    enum Failure {
        MISSING_SIGNATURE("missing signature"), MALFORMED("malformed signature"), UNKNOWN_KEY("unknown key"),
        ALTERED("altered"), WRONG_TYPE("wrong type"), WRONG_ROLE("wrong role"), WRONG_ENVIRONMENT("wrong environment");

        final String label;

        Failure(String label) {
            this.label = label;
        }
    }

    /** A report that is not byte for byte what a trusted key signed. */
    static final class NotTrustedException extends Exception {
        private final Failure failure;

        NotTrustedException(Failure failure, String message) {
            super(failure.label + ": " + message);
            this.failure = failure;
        }

        Failure failure() {
            return failure;
        }
    }

    /**
     * What a verified signature says.
     *
     * @param keyId the signer's key id
     * @param role its role, as the trust file pins it
     * @param signedAt when, by the signer's clock
     * @param environment the environment it signed for (the trust file's)
     * @param statement the signed statement (tenant, range, generation time, digest)
     */
    record Verified(String keyId, Role role, Instant signedAt, String environment, JsonNode statement) {}

    private ReportSignature() {}

    /** The signature file of {@code report}: {@code report} with {@code .sig} appended. */
    static Path signatureOf(Path report) {
        return report.resolveSibling(report.getFileName() + ".sig");
    }

    /**
     * Signs {@code bytes}, just written to {@code report}, with {@code id}, writing {@link #signatureOf}. The bytes
     * in hand are signed, not the file read back, so nothing that touches the file in between is signed.
     *
     * @param facts the report's map, for the statement's tenant, range and generation time
     * @return the signature file
     * @throws IllegalArgumentException if {@code id}'s role may not sign a report
     */
    static Path sign(SigningIdentity id, Path report, byte[] bytes, Map<String, Object> facts) throws IOException {
        if (!SIGNERS.contains(id.role())) {
            throw new IllegalArgumentException(id.keyId() + " is an identity of role " + id.role() + ", which may not sign a report "
                    + "(allowed: " + SIGNERS + ")");
        }
        return signUnchecked(id, report, bytes, facts);
    }

    /** {@link #sign} without the role check: the tests' forger. */
    static Path signUnchecked(SigningIdentity id, Path report, byte[] bytes, Map<String, Object> facts) throws IOException {
        String sha256 = sha256(bytes);
        Map<String, Object> statement = new LinkedHashMap<>();
        statement.put("sha256", sha256);
        statement.put("bytes", bytes.length);
        statement.put("format", report.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".html") ? "html" : "json");
        for (String k : new String[] {"tenant", "from", "until", "generatedAt"}) {
            statement.put(k, facts.get(k));
        }
        Path sig = signatureOf(report);
        Files.write(sig, Signed.sign(id, TYPE, "sha256:" + sha256, JSON.writeValueAsBytes(statement)));
        return sig;
    }

    /**
     * Checks that {@code report} is byte for byte what a key of {@code trust} allowed to sign reports signed.
     *
     * @param report the report file (must exist: the caller reports a missing one as bad usage)
     * @param signature its signature file
     * @throws NotTrustedException naming the failure, the files and, where known, the signer
     */
    static Verified verify(Path report, Path signature, TrustFile trust) throws IOException, NotTrustedException {
        byte[] bytes = Files.readAllBytes(report);
        byte[] sig;
        try {
            sig = Files.readAllBytes(signature);
        } catch (NoSuchFileException e) {
            throw new NotTrustedException(Failure.MISSING_SIGNATURE, report + " has no signature " + signature
                    + " (sign it with strongroom report --sign-with)");
        }
        // The envelope's context, as it claims: opening checks that the signature covers it; then it must be this file's.
        String claimed;
        try {
            JsonNode context = JSON.readTree(sig).get("context");
            claimed = context == null || !context.isTextual() ? "" : context.asText();
        } catch (IOException e) {
            claimed = ""; // Signed.open names it
        }
        Signed.Opened opened;
        try {
            opened = Signed.open(signature.toString(), sig, TYPE, claimed, trust, SIGNERS);
        } catch (UntrustedObjectException e) {
            throw new NotTrustedException(switch (e.reason()) {
                case UNSIGNED -> Failure.MISSING_SIGNATURE;
                case MALFORMED -> Failure.MALFORMED;
                case UNKNOWN_KEY -> Failure.UNKNOWN_KEY;
                case BAD_SIGNATURE, WRONG_CONTEXT -> Failure.ALTERED;
                case WRONG_TYPE -> Failure.WRONG_TYPE;
                case WRONG_ROLE -> Failure.WRONG_ROLE;
                case WRONG_ENVIRONMENT -> Failure.WRONG_ENVIRONMENT;
            }, e.getMessage());
        }
        String actual = "sha256:" + sha256(bytes);
        String signer = "key " + opened.keyId() + " (role " + opened.role() + ")";
        if (!claimed.equals(actual)) {
            throw new NotTrustedException(Failure.ALTERED, "changed since " + signer + " signed it at "
                    + Instant.ofEpochMilli(opened.signedAtMs()) + ": its SHA-256 is " + actual.substring(7) + ", the signed one "
                    + claimed.substring(claimed.indexOf(':') + 1));
        }
        JsonNode statement;
        try {
            statement = JSON.readTree(opened.payload());
        } catch (IOException e) {
            throw new NotTrustedException(Failure.MALFORMED, signature + ": the signed statement of " + signer
                    + " is not JSON: " + e.getMessage());
        }
        return new Verified(opened.keyId(), opened.role(), Instant.ofEpochMilli(opened.signedAtMs()), trust.environment(),
                statement);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
