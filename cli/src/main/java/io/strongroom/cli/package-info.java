/** The {@code strongroom} command: one picocli subcommand per service, plus restore, verify and the demo. */
package io.strongroom.cli;
