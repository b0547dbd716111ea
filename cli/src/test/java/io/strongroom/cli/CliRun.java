package io.strongroom.cli;

import io.strongroom.testkit.ConsoleCapture;

/** Runs the production command line in this JVM and captures what it printed (the sandbox's tests use PipelineIT.run). */
final class CliRun {
    private CliRun() {}

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ConsoleCapture.Captured c = ConsoleCapture.run(() -> Main.commandLine().execute(args));
        return new Run(c.code(), c.out(), c.err());
    }
}
