package io.strongroom.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.strongroom.crypto.identity.TrustFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code strongroom report verify FILE --trust TRUSTFILE}: whether a report is byte for byte what a trusted
 * key signed (see {@link ReportSignature}). Offline: reads the two files and the trust file, nothing else.
 * Exit 0 and one line naming the signer; 1 and one line naming why not (missing signature, unknown key,
 * altered, wrong type, wrong role, wrong environment, malformed signature); 2 for a missing report or an
 * unreadable trust file.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check offline (no Kafka, S3 or KMS) that a report file is byte for byte what a key pinned in the trust "
                + "file signed (strongroom report --sign-with); prints the signer, its role, the signing time and the "
                + "environment. Exit 1 naming why if not.")
final class ReportVerifyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The report (JSON or HTML) as it was written.")
    Path file;

    @Option(names = "--trust", required = true, paramLabel = "TRUSTFILE",
            description = "The trust file pinning the public keys that may sign reports (operator or coordinator).")
    Path trustFile;

    @Option(names = "--signature", paramLabel = "SIG", description = "Its signature (default: FILE.sig beside it).")
    Path signature;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            return usage(file + " does not exist or is not a file");
        }
        if (!Files.isRegularFile(trustFile)) {
            return usage("--trust " + trustFile + " does not exist or is not a file");
        }
        TrustFile trust;
        try {
            trust = TrustFile.load(trustFile);
        } catch (IllegalArgumentException e) {
            return usage("--trust " + e.getMessage().lines().findFirst().orElse("")); // Jackson adds a location line
        }
        Path sig = signature != null ? signature : ReportSignature.signatureOf(file);
        try {
            ReportSignature.Verified v = ReportSignature.verify(file, sig, trust);
            JsonNode s = v.statement();
            System.out.printf("%s: intact, signed by %s (role %s) at %s, environment %s; report of tenant %s generated %s%n",
                    file, v.keyId(), v.role(), v.signedAt(), v.environment(), s.path("tenant").asText("?"),
                    s.path("generatedAt").asText("?"));
            return 0;
        } catch (ReportSignature.NotTrustedException e) {
            System.out.println(file + ": NOT TRUSTED, " + e.getMessage());
            return 1;
        }
    }

    private static int usage(String message) {
        System.err.println("strongroom report verify: " + message);
        return Main.USAGE;
    }
}
