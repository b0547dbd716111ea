/**
 * The {@code strongroom} command: one picocli subcommand per service, plus restore, verify and the admin commands.
 * Module {@code sandbox} adds classes to this package — {@code demo}, {@code local} and their helpers, which need the
 * testkit's embedded broker and S3Proxy — and its own entry point, {@code SandboxMain}; nothing here refers to them.
 */
package io.strongroom.cli;
