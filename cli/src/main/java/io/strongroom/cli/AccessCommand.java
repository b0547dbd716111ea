package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.AccessReview;
import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.crypto.audit.AuditTrailReader;
import io.strongroom.crypto.audit.AuditingKms;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom access ...}: the access review of the admin API's principals. */
@Command(name = "access", mixinStandardHelpOptions = true, description = "Review who can use the admin API.",
        subcommands = {AccessCommand.Review.class, AccessCommand.Reinstate.class})
final class AccessCommand {

    @Command(name = "review", mixinStandardHelpOptions = true,
            description = "List the admin principals (coordinator.principals), their roles and last activity in the audit trail; "
                    + "with --apply, revoke those inactive longer than coordinator.access-inactive-after (audited; the coordinator "
                    + "does this every coordinator.access-review-interval).")
    static final class Review implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--apply", description = "Revoke the inactive principals.")
        boolean apply;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            AccessReview review = CoordinatorService.accessReview(Coordinators.stateDir(c), c.coordinator());
            List<AccessReview.Row> rows = review.review(c.coordinator().principals(), 
                    AuditTrailReader.lastActivity(c.kafka().clientProperties(), c.trust()));
            System.out.printf("%-20s %-36s %-26s %s%n", "PRINCIPAL", "ROLES", "LAST ACTIVITY", "STATUS");
            for (AccessReview.Row r : rows) {
                System.out.printf("%-20s %-36s %-26s %s%n", r.principal(), r.roles(), r.lastActivity() == null ? "none" : r.lastActivity(),
                        r.revoked() != null ? "REVOKED at " + r.revoked() : r.inactive() ? "INACTIVE since " + r.inactiveSince() : "active");
            }
            if (apply) {
                try (AuditingKms audit = KmsFactory.create(c, principal.audited())) {
                    List<String> revoked = review.revokeInactive(rows, audit, principal.audited());
                    System.out.println(revoked.isEmpty() ? "nothing to revoke" : "revoked: " + String.join(", ", revoked));
                }
            }
            return 0;
        }
    }

    @Command(name = "reinstate", mixinStandardHelpOptions = true,
            description = "Lift an access review's revocation of an admin principal (audited); its inactivity counts from now.")
    static final class Reinstate implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--name", required = true, description = "The admin principal.")
        String name;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            try (AuditingKms audit = KmsFactory.create(c, principal.audited())) {
                boolean done = CoordinatorService.accessReview(Coordinators.stateDir(c), c.coordinator()).reinstate(name, audit, principal.audited());
                System.out.println(done ? name + " reinstated" : name + " was not revoked");
                return done ? 0 : 1;
            }
        }
    }
}
