package io.strongroom.cli;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/** Parsing of option values shared by commands, as usage errors naming the option. */
final class Args {
    private Args() {}

    /** {@code value} as an instant, or null if it is null; a usage error naming {@code option} if it is not one. */
    static Instant instant(CommandLine.Model.CommandSpec spec, String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be an ISO-8601 instant such as "
                    + "2026-11-29T10:00:00Z, got '" + value + "'");
        }
    }

}
