package io.strongroom.cli;

import io.strongroom.archive.ArchiveCatalog;
import io.strongroom.archive.ArchiveRepair;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.ArchiveLayout;
import io.strongroom.archive.LegacyAttestation;
import io.strongroom.archive.Retention;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.audit.AuditRecord;
import io.strongroom.crypto.audit.AuditTrail;
import io.strongroom.crypto.audit.KafkaAuditTrail;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom archive ...}: work on the archive in object storage. */
@Command(name = "archive", mixinStandardHelpOptions = true, description = "Work on the archive in object storage.",
        subcommands = {ArchiveCommand.Repair.class, ArchiveCommand.Prune.class, ArchiveCommand.Hold.class,
            ArchiveCommand.Release.class, ArchiveCommand.Holds.class, ArchiveCommand.SignLegacy.class})
final class ArchiveCommand {
    private ArchiveCommand() {}

    /** Every target of the configuration: {@code s3} first, then {@code archiver.replicas}; close them. */
    private static void audit(StrongroomConfig c, String principal, Consumer<AuditTrail> work) {
        try (AuditTrail trail = KafkaAuditTrail.create(c.kafka().clientProperties(), principal, c.kms().auditBuffer(),
                KmsFactory.auditSpoolDir(c))) {
            work.accept(trail);
        }
    }

    @Command(name = "sign-legacy", mixinStandardHelpOptions = true,
            description = "Attest, signed with the operator identity, the unsigned manifest parts, rewrap parts and prune "
                    + "markers a tenant's archive holds from before signing, so that readers with a trust file accept them "
                    + "as they are now. Run strongroom verify first: this trusts what the bucket holds. Refused while the "
                    + "catalog does not add up. Audited.")
    static final class SignLegacy implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant whose catalog to attest.")
        String tenant;

        @Option(names = "--dry-run", description = "List what would be attested; write nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            String who = principal.audited();
            SigningIdentity operator = c.signingIdentity(Role.OPERATOR);
            if (operator == null) {
                throw new IllegalArgumentException("sign-legacy signs with the operator identity: set identity.directory "
                        + "and run 'strongroom identity init --role operator'");
            }
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
                ArchiveTarget primary = targets.get(0);
                var catalog = ArchiveCatalog.read(primary, ArchiveLayout.tenantPrefix(c.environment(), tenant));
                List<String> problems = new ArrayList<>(catalog.problems());
                catalog.current().forEach((key, e) -> {
                    Long size = catalog.listed().get(key);
                    if (size == null || size != e.sizeBytes()) {
                        problems.add(primary.where(key) + ": " + (size == null ? "missing" : size + " bytes")
                                + ", its manifest says " + e.sizeBytes() + " bytes");
                    }
                });
                if (!problems.isEmpty()) {
                    problems.forEach(p -> System.err.println("problem: " + p));
                    System.err.println("strongroom archive sign-legacy: tenant " + tenant + "'s catalog does not add up ("
                            + problems.size() + " problems): nothing attested");
                    return 1;
                }
                LegacyAttestation.Unsigned found = LegacyAttestation.unsigned(
                        primary, c.environment(), tenant);
                if (!found.afterSigning().isEmpty()) { // not history: a forgery, or a writer without its identity
                    found.afterSigning().forEach(k -> System.err.println("problem: " + primary.where(k) + ": unsigned, but "
                            + "written after the tenant's first signed catalog object: not legacy"));
                    System.err.println("strongroom archive sign-legacy: " + found.afterSigning().size() + " unsigned catalog "
                            + "objects of tenant " + tenant + " are newer than signing: nothing attested (investigate them)");
                    return 1;
                }
                Map<String, String> unsigned = found.legacy();
                unsigned.keySet().forEach(k -> System.out.println((dryRun ? "would attest " : "attest ") + k));
                if (unsigned.isEmpty() || dryRun) {
                    System.out.printf("%s %d unsigned catalog objects of tenant %s%n", dryRun ? "would attest" : "nothing to "
                            + "attest:", unsigned.size(), tenant);
                    return 0;
                }
                audit(c, who, trail -> {
                    String key = LegacyAttestation.write(targets, c.environment(), tenant, operator, who,
                            unsigned, System.currentTimeMillis(), c.archiver().retentionPolicy());
                    trail.record(new AuditRecord(who, AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, null, null, null,
                            "attested " + unsigned.size() + " legacy catalog objects in " + key + " (" + operator.keyId() + ")"));
                    System.out.printf("attested %d unsigned catalog objects of tenant %s in %s%n", unsigned.size(), tenant, key);
                });
                return 0;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Delete, on every target, the segments whose classification's retention (archiver.retention) has "
                    + "passed, except those of tenants on legal hold; each deletion is audited (PRUNE).")
    static final class Prune implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", description = "Only this tenant.")
        String tenant;

        @Option(names = "--dry-run", description = "List what would be deleted; delete nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            String who = principal.audited();
            if (c.archiver().retention().isEmpty()) {
                System.out.println("nothing to prune: no archiver.retention is configured (everything is kept)");
                return 0;
            }
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
                Retention.Result[] result = new Retention.Result[1];
                Consumer<AuditTrail> run = trail -> result[0] = Retention.prune(targets, c.environment(),
                        tenant == null ? null : List.of(tenant), c.archiver().retentionPolicy(), Instant.now(), who, dryRun,
                        key -> {
                            trail.record(new AuditRecord(who, AuditAction.PRUNE, AuditOutcome.SUCCESS, tenantOf(c, key), null,
                                    null, segmentIdOf(key), "deleted " + key + " from " + targets.size() + " targets (retention)"));
                            System.out.println("deleted " + key);
                        }, c.signingIdentity(Role.OPERATOR), c.trust());
                if (dryRun) {
                    run.accept(null);
                } else {
                    audit(c, who, run);
                }
                Retention.Result r = result[0];
                if (dryRun) {
                    r.expired().forEach(k -> System.out.println("would delete " + k));
                }
                r.heldTenants().forEach(t -> System.out.println("kept (legal hold): tenant " + t));
                System.out.printf("%s %,d of %,d segments past their retention%n", dryRun ? "would prune" : "pruned",
                        r.expired().size(), r.examined());
                return 0;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }

        private static String tenantOf(StrongroomConfig c, String key) {
            return ArchiveLayout.parse(key).tenant();
        }

        private static String segmentIdOf(String key) {
            return ArchiveLayout.parse(key).segmentId();
        }
    }

    @Command(name = "hold", mixinStandardHelpOptions = true,
            description = "Place a legal hold on a tenant: nothing of it is pruned until the hold is released. Audited.")
    static final class Hold implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "Tenant to hold.")
        String tenant;

        @Option(names = "--reason", required = true, description = "Why: the case or matter.")
        String reason;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            String who = principal.audited();
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
                audit(c, who, trail -> {
                    Retention.Hold hold = Retention.hold(targets, c.environment(), tenant, reason, who,
                            c.signingIdentity(Role.OPERATOR), c.archiver().retentionPolicy());
                    trail.record(new AuditRecord(who, AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, null, null, null,
                            "legal hold " + hold.id() + " placed: " + reason));
                    System.out.println("hold " + hold.id() + " placed on tenant " + tenant);
                });
                return 0;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true, description = "Release a legal hold. Audited.")
    static final class Release implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant.")
        String tenant;

        @Option(names = "--hold", required = true, description = "The hold id (strongroom archive holds lists them).")
        String id;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            String who = principal.audited();
            if (!id.matches("[0-9a-f-]{36}")) {
                throw new IllegalArgumentException("--hold must be a hold id as printed by strongroom archive holds, got '" + id + "'");
            }
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
                boolean[] found = new boolean[1];
                audit(c, who, trail -> {
                    found[0] = Retention.release(targets, c.environment(), tenant, id, c.archiver().retentionPolicy());
                    trail.record(new AuditRecord(who, AuditAction.OTHER, found[0] ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE,
                            tenant, null, null, null, "legal hold " + id + (found[0] ? " released" : " not found")));
                });
                System.out.println(found[0] ? "hold " + id + " released" : "no hold " + id + " on tenant " + tenant);
                return found[0] ? 0 : 1;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }

    @Command(name = "holds", mixinStandardHelpOptions = true, description = "List legal holds.")
    static final class Holds implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--tenant", description = "Only this tenant.")
        String tenant;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            try (ArchiveTarget primary = ArchiveTarget.of(c.s3())) {
                int n = 0;
                for (String t : tenant != null ? List.of(tenant) : Retention.tenants(primary, c.environment())) {
                    for (Retention.Hold h : Retention.holds(primary, c.environment(), t)) {
                        System.out.printf("%s  tenant %s  since %s  by %s  %s%n", h.id(), h.tenant(),
                                Instant.ofEpochMilli(h.placedAtMs()), h.by(), h.reason());
                        n++;
                    }
                }
                System.out.println(n + " legal holds");
                return 0;
            }
        }
    }

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
            if (c.archiver().replicas().isEmpty()) {
                System.out.println("nothing to repair: one target (" + c.s3().bucket() + "); add archiver.replicas");
                return 0;
            }
            String prefix = tenant == null ? ArchiveLayout.environmentPrefix(c.environment())
                    : ArchiveLayout.tenantPrefix(c.environment(), tenant);
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
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
