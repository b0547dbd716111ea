/**
 * The {@code strongroom} command: one picocli subcommand per service, plus restore, verify and the admin commands. A
 * command parses its arguments, loads the configuration, starts a service or runs a job through that module's public
 * API, and prints; no command calls another (both checked by qa's {@code ArchitectureTest}).
 * Module {@code sandbox} adds classes to this package — {@code demo}, {@code local} and their helpers, which need the
 * testkit's embedded broker and S3Proxy — and its own entry point, {@code SandboxMain}; nothing here refers to them.
 */
package io.strongroom.cli;
