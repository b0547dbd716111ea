package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sandbox jar's command line: the production commands plus demo and local, with the same usage errors. */
class SandboxCliTest {
    @Test
    void helpListsTheProductionCommandsAndTheSandboxOnes() {
        String help = PipelineIT.run("--help").out();
        assertThat(help).contains("  demo ").contains("  local ");
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            assertThat(help).as(command).containsPattern("(?m)^  " + command + "\\b");
        }
        assertThat(help.indexOf("  demo ")).as("demo comes first").isLessThan(help.indexOf("  ingest "));
        assertThat(help).doesNotContain("not this one");
    }

    @Test
    void unknownOptionIsAUsageError() {
        PipelineIT.Run r = PipelineIT.run("demo", "--evnets", "5");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--evnets'").contains("Possible solutions: --events");
    }

    @Test
    void demoRejectsOutOfRangeArguments() {
        PipelineIT.Run r = PipelineIT.run("demo", "--tenants", "11");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("strongroom demo: --tenants must be between 1 and 10, got 11");
    }

    @Test
    void localListsItsSubcommands() {
        PipelineIT.Run r = PipelineIT.run("local", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("up").contains("down").contains("status").contains("soak");
    }
}
