package io.strongroom.cli;

import io.strongroom.cli.config.ConfigException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code strongroom}: the production command (every service, restore, verify, the admin commands). Exit codes: 0
 * success, 1 the work failed (mismatch, damaged archive, service error), 2 bad usage or configuration. The demo and
 * the local tooling ({@code demo}, {@code local}) start an embedded broker and S3Proxy; they are in module
 * {@code sandbox} (its jar, run by the {@code ./strongroom} launcher), not in this jar: asked of this jar, they are a
 * usage error that says where they are.
 */
@Command(name = "strongroom", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming, encrypted, key-rotating backups for SaaS data on Kafka.",
        footer = {"", "demo and local (embedded Kafka and S3) are in the sandbox jar, not this one:",
            "sandbox/target/strongroom-sandbox.jar, run by ./strongroom in a clone."},
        subcommands = {ServiceCommands.Ingest.class, ServiceCommands.Encryptor.class,
            ServiceCommands.Archiver.class, ServiceCommands.Coordinator.class, ServiceCommands.Anomaly.class, RestoreCommand.class,
            VerifyCommand.class, ReportCommand.class, AuditCommand.class, AccessCommand.class, AclsCommand.class, DlqCommand.class, ArchiveCommand.class, KeysCommand.class, IdentityCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code for bad usage or configuration. */
    public static final int USAGE = 2;
    /** The subcommands of the sandbox jar only (module {@code sandbox}), which this jar names when asked for them. */
    static final List<String> SANDBOX_COMMANDS = List.of("demo", "local");

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests use it too). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((e, args) -> {
            String sandboxOnly = sandboxOnly(e);
            if (sandboxOnly == null) {
                return usage.handleParseException(e, args);
            }
            e.getCommandLine().getErr().println("strongroom: '" + sandboxOnly + "' is not in this jar (the production "
                    + "strongroom.jar holds no embedded Kafka or S3): it is in the sandbox jar, "
                    + "sandbox/target/strongroom-sandbox.jar; run ./strongroom " + sandboxOnly + " from a clone of the repository");
            return USAGE;
        });
        return cli;
    }

    /** The sandbox-only command {@code e} failed on as an unknown subcommand of the top command, or null. */
    private static String sandboxOnly(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && e.getCommandLine().getParent() == null && !u.getUnmatched().isEmpty()
                && SANDBOX_COMMANDS.contains(u.getUnmatched().get(0)) && !e.getCommandLine().getSubcommands().containsKey(u.getUnmatched().get(0))) {
            return u.getUnmatched().get(0);
        }
        return null;
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
