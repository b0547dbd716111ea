package io.strongroom.cli;

import io.strongroom.cli.config.ConfigException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code strongroom}: the single command. Exit codes: 0 success, 1 the work failed (mismatch,
 * damaged archive, service error), 2 bad usage or configuration.
 */
@Command(name = "strongroom", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming, encrypted, key-rotating backups for SaaS data on Kafka.",
        subcommands = {DemoCommand.class, ServiceCommands.Ingest.class, ServiceCommands.Encryptor.class,
            ServiceCommands.Archiver.class, ServiceCommands.Coordinator.class, ServiceCommands.Anomaly.class, RestoreCommand.class,
            VerifyCommand.class, ReportCommand.class, AuditCommand.class, AccessCommand.class, AclsCommand.class, LocalCommand.class, DlqCommand.class, ArchiveCommand.class, KeysCommand.class, IdentityCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code for bad usage or configuration. */
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests use it too). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        return cli;
    }

    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            err.println("strongroom " + cli.getCommandName() + ": " + e.getMessage());
            return USAGE;
        }
        err.println("strongroom " + cli.getCommandName() + ": error: " + e.getMessage());
        if (System.getenv("STRONGROOM_DEBUG") != null) {
            e.printStackTrace(err);
        } else {
            err.println("(set STRONGROOM_DEBUG=1 for the stack trace)");
        }
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"strongroom " + (v == null ? "dev" : v)};
        }
    }
}
