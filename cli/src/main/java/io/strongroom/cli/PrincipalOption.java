package io.strongroom.cli;

import picocli.CommandLine.Option;

/** Who is acting: {@code --principal} or the OS user; audited as {@code operator:<name>}. */
final class PrincipalOption {
    @Option(names = "--principal", paramLabel = "NAME",
            description = "Who is acting (audited as operator:NAME; default: the OS user).")
    String name;

    String audited() {
        String n = name != null ? name : System.getProperty("user.name", "unknown");
        if (!n.matches("[A-Za-z0-9._@-]{1,64}")) {
            throw new IllegalArgumentException("--principal must be 1-64 of A-Z a-z 0-9 . _ @ -, got '" + n + "'");
        }
        return "operator:" + n;
    }
}
