package io.strongroom.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The sandbox jar's {@code strongroom}: the production command line ({@link Main#commandLine()}, with its exit codes
 * and error handling) plus the commands that start an embedded Kafka broker and S3Proxy — {@code demo} first, and
 * {@code local} (up, down, status, soak) — which the production jar leaves out. The {@code ./strongroom} launcher
 * runs this.
 */
public final class SandboxMain {
    private SandboxMain() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The production command line with {@code demo} and {@code local} added (tests use it too). */
    public static CommandLine commandLine() {
        CommandLine cli = Main.commandLine();
        CommandSpec spec = cli.getCommandSpec();
        spec.usageMessage().footer(new String[0]); // the production jar's footer says where demo and local are: here
        // demo first in --help (as when it was in the production jar), local just before help
        Map<String, CommandLine> production = new LinkedHashMap<>(cli.getSubcommands());
        production.keySet().forEach(spec::removeSubcommand);
        cli.addSubcommand(DemoCommand.class);
        production.forEach((name, sub) -> {
            if (name.equals("help")) {
                cli.addSubcommand(LocalCommand.class);
            }
            cli.addSubcommand(name, sub);
        });
        if (!cli.getSubcommands().containsKey("local")) {
            cli.addSubcommand(LocalCommand.class);
        }
        return cli;
    }
}
