package io.strongroom.testkit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** Runs something that prints to stdout and stderr (a command line, in this JVM) and captures both. */
public final class ConsoleCapture {
    private ConsoleCapture() {}

    /** What ran: its exit code and what it printed. */
    public record Captured(int code, String out, String err) {}

    /** Runs {@code run} with stdout and stderr captured, restoring both afterwards. */
    public static Captured run(IntSupplier run) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = run.getAsInt();
            return new Captured(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }
}
