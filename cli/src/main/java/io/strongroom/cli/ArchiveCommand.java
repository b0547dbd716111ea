package io.strongroom.cli;

import io.strongroom.archiver.ArchiveRepair;
import io.strongroom.archiver.ArchiveTarget;
import io.strongroom.archiver.ObjectNames;
import io.strongroom.archiver.S3Settings;
import io.strongroom.cli.config.StrongroomConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom archive ...}: work on the archive in object storage. */
@Command(name = "archive", mixinStandardHelpOptions = true, description = "Work on the archive in object storage.",
        subcommands = ArchiveCommand.Repair.class)
final class ArchiveCommand {
    private ArchiveCommand() {}

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = "Copy to each target (s3 and archiver.replicas) every archive object it lacks, from a target "
                    + "that has it; segments are checked before they are copied and nothing is overwritten. Exit 1 if two "
                    + "targets hold different objects under one name.")
    static final class Repair implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--tenant", description = "Only this tenant's objects.")
        String tenant;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            List<S3Settings> settings = new ArrayList<>();
            settings.add(c.s3());
            settings.addAll(c.archiver().replicas());
            if (settings.size() < 2) {
                System.out.println("nothing to repair: one target (" + c.s3().bucket() + "); add archiver.replicas");
                return 0;
            }
            String prefix = tenant == null ? ObjectNames.environmentPrefix(c.environment())
                    : ObjectNames.tenantPrefix(c.environment(), tenant);
            List<ArchiveTarget> targets = new ArrayList<>();
            try {
                settings.forEach(s -> targets.add(ArchiveTarget.of(s)));
                ProgressPrinter progress = new ProgressPrinter("repair", System.err);
                ArchiveRepair.Result result = ArchiveRepair.run(targets, prefix, (done, all) -> progress.update(done, all, 0));
                result.copied().forEach((target, n) -> System.out.printf("%s: %,d objects copied%n", target, n));
                result.conflicts().forEach(conflict -> System.out.println("conflict: " + conflict));
                System.out.printf("%,d objects under %s on %d targets: %s%n", result.objects(), prefix, targets.size(),
                        result.conflicts().isEmpty() ? "every target holds every object" : result.conflicts().size() + " conflicts");
                return result.conflicts().isEmpty() ? 0 : 1;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }
}
