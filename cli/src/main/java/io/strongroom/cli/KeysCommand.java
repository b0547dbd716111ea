package io.strongroom.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.coordinator.ServiceKeys;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.kms.KeyState;
import io.strongroom.crypto.kms.KeyVersion;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.KmsException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.RegistrySealing;
import io.strongroom.crypto.kms.pkcs11.Pkcs11Kms;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditOutcome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import software.amazon.awssdk.services.s3.S3Client;
import io.strongroom.schemas.Topics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strongroom keys ...}: tenant key-encryption keys. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Tenant key-encryption keys: status, rotation, rewrap.",
        subcommands = {KeysCommand.Status.class, KeysCommand.Rotate.class, KeysCommand.Disable.class, KeysCommand.RewrapCommand.class,
            KeysCommand.Compromised.class, KeysCommand.RequestDestroy.class, KeysCommand.ShredTenant.class,
            KeysCommand.RequestEnable.class, KeysCommand.Approve.class, KeysCommand.Requests.class, KeysCommand.SealRegistry.class,
            KeysCommand.Unlock.class, KeysCommand.Orphans.class})
final class KeysCommand {
    private KeysCommand() {}

    /** Runs {@code work} with an audited KMS for {@code principal} and a publisher onto strongroom.keys. */
    static <T> T withKeys(StrongroomConfig c, String principal, Function<Tools, T> work) {
        try (AuditingKms kms = KmsFactory.create(c, principal);
                var producer = new KafkaProducer<>(c.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(),
                        Topics.KEYS.valueSerde().serializer())) {
            KeyPublisher publisher = new KeyPublisher(kms, producer, c.kms().timeout(), principal);
            KeyRotator rotator = new KeyRotator(kms, publisher, c.kms().timeout(), c::rotationPolicy, Clock.systemUTC(),
                    new SimpleMeterRegistry());
            return work.apply(new Tools(kms, publisher, rotator));
        }
    }

    record Tools(AuditingKms kms, KeyPublisher publisher, KeyRotator rotator) {}

    @Command(name = "status", aliases = "list", mixinStandardHelpOptions = true,
            description = "Each tenant's key: primary version, its age, when the next rotation is due, and every version's "
                    + "state with how many archived segments still need it.")
    static final class Status implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", description = "Only this tenant (default: coordinator.tenants).")
        String tenant;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            List<String> tenants = tenant != null ? List.of(tenant) : c.coordinator().tenants();
            Instant now = Instant.now();
            return withKeys(c, principal.audited(), tools -> {
                try (ArchiveTarget archive = ArchiveTarget.of(c.s3())) {
                    for (String t : tenants) {
                        KeyRotator.Status s = tools.rotator().statusOf(t, tools.kms().keyIdFor(t));
                        Map<String, Integer> refs = Rewrap.references(archive, c.environment(), t, c.trust());
                        System.out.printf("%s  %s  primary %s since %s (%s old), next rotation %s%s%n", t, s.keyId(),
                                s.primaryVersion(), s.primarySince(), Duration.between(s.primarySince(), now).withNanos(0),
                                s.nextRotation(), s.overdue(now) ? "  OVERDUE" : "");
                        for (KeyVersion v : s.versions()) {
                            System.out.printf("    version %-4s %-17s segments %d%n", v.version(), v.state(),
                                    refs.getOrDefault(s.keyId() + "/" + v.version(), 0));
                        }
                    }
                }
                return 0;
            });
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Make a new primary version for a tenant now and publish it; new segments use it at once. Audited.")
    static final class Rotate implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant.")
        String tenant;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            return withKeys(c, principal.audited(), tools -> {
                KeyVersion v = tools.rotator().rotateNow(tenant, "rotated by " + principal.audited());
                System.out.println("tenant " + tenant + ": version " + v.version() + " is primary");
                return 0;
            });
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Disable a key version: nothing it wraps can be decrypted until it is enabled again. Refused for the "
                    + "primary version and while archived segments still need it (rewrap them first). Audited.")
    static final class Disable implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant.")
        String tenant;

        @Option(names = "--version", required = true, description = "The version to disable.")
        String version;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            return withKeys(c, principal.audited(), tools -> {
                String keyId = tools.kms().keyIdFor(tenant);
                String service = ServiceKeys.protectedBecause(tenant);
                if (service != null) {
                    tools.kms().record(AuditAction.DISABLE_KEY, AuditOutcome.DENIED, tenant, null, "refused: " + service);
                    System.err.println("strongroom keys disable: refused: " + service);
                    return 1;
                }
                int needed;
                try (ArchiveTarget archive = ArchiveTarget.of(c.s3())) {
                    needed = Rewrap.needing(Rewrap.references(archive, c.environment(), tenant, c.trust()), keyId, version);
                }
                if (needed > 0) {
                    tools.kms().record(AuditAction.DISABLE_KEY, AuditOutcome.DENIED, tenant,
                            null, "refused: " + needed + " archived segments still need " + keyId + " version " + version);
                    System.err.println("strongroom keys disable: refused: " + needed + " archived segments of tenant " + tenant
                            + " still need " + keyId + " version " + version + "; run strongroom keys rewrap --tenant " + tenant
                            + " first");
                    return 1;
                }
                Kmses.await(tools.kms().disable(keyId, version), c.kms().timeout());
                tools.publisher().publish(tenant, keyId, Kmses.await(tools.kms().describe(keyId), c.kms().timeout()),
                        "disabled by " + principal.audited());
                System.out.println("tenant " + tenant + ": " + keyId + " version " + version + " disabled");
                return 0;
            });
        }
    }

    @Command(name = "rewrap", mixinStandardHelpOptions = true,
            description = "Re-wrap every archived segment's data key of a tenant under its current primary version (or, with "
                    + "--target-config, under the KMS that configuration names: a KMS migration), without decrypting any body. "
                    + "The new keys go into the manifests and no object changes, unless --rewrite-objects. "
                    + "Resumable; audited; shows progress.")
    static final class RewrapCommand implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant.")
        String tenant;

        @Option(names = "--target-config", paramLabel = "FILE",
                description = "A configuration whose kms section is the KMS to move to (same environment).")
        Path targetConfig;

        @Option(names = "--rewrite-objects", description = "Also rewrite every object with the new key in its header (body "
                + "unchanged), so that no live object keeps its data key wrapped under the old version. Slower: every object "
                + "is read and written once; not possible under S3 Object Lock.")
        boolean rewriteObjects;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            StrongroomConfig to = targetConfig == null ? c : ConfigLoader.load(targetConfig, System.getenv());
            if (!to.environment().equals(c.environment())) {
                throw new IllegalArgumentException("--target-config is for environment " + to.environment() + ", not "
                        + c.environment());
            }
            String who = principal.audited();
            List<ArchiveTarget> targets = c.archiveTargets();
            try (AuditingKms source = KmsFactory.create(c, who);
                    AuditingKms target = targetConfig == null ? null : KmsFactory.create(to, who)) {
                ManagedKms into = target == null ? source : target;
                String keyId = Kmses.await(into.createKek(tenant), c.kms().timeout());
                ProgressPrinter progress = new ProgressPrinter("rewrap " + tenant, System.err);
                Rewrap.Result r = Rewrap.run(targets, c.environment(), tenant, source, into, keyId, c.kms().timeout(),
                        rewriteObjects ? Rewrap.Mode.OBJECT : Rewrap.Mode.MANIFEST, (done, total) -> progress.update(done, total, 0),
                        c.signingIdentity(Role.OPERATOR), c.trust(),
                        c.archiver().retentionPolicy());
                System.out.printf("tenant %s: %,d segments, %,d rewrapped, %,d already under %s version %s%n", tenant,
                        r.segments(), r.rewrapped(), r.alreadyCurrent(), keyId, r.targetVersion());
                return 0;
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }

    @Command(name = "compromised", mixinStandardHelpOptions = true,
            description = "Incident response for a key version believed compromised: make a new primary at once, re-wrap every "
                    + "archive off the version, disable it, verify every archive of the tenant, and record the incident. "
                    + "Exit 1 if any step fails (the steps done so far stay done; run it again to finish).")
    static final class Compromised implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--tenant", required = true, description = "The tenant whose key is compromised.")
        String tenant;

        @Option(names = "--version", required = true, description = "The compromised version.")
        String version;

        @Option(names = "--reason", defaultValue = "suspected compromise", description = "What happened (recorded in the audit).")
        String reason;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            String who = principal.audited();
            List<ArchiveTarget> targets = c.archiveTargets();
            try {
                return withKeys(c, who, tools -> {
                    String keyId = tools.kms().keyIdFor(tenant);
                    tools.kms().record(AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, null,
                            "INCIDENT opened: " + keyId + " version " + version + " compromised (" + reason + ")");
                    String primary = tools.rotator().statusOf(tenant, keyId).primaryVersion();
                    if (primary.equals(version)) {
                        KeyVersion next = tools.rotator().rotateNow(tenant, "compromise of version " + version);
                        System.out.println("1/4 new primary: version " + next.version());
                    } else {
                        System.out.println("1/4 primary is already version " + primary);
                    }
                    ProgressPrinter progress = new ProgressPrinter("rewrap " + tenant, System.err);
                    // objects rewritten: no live object keeps its data key wrapped under the compromised version
                    Rewrap.Result r = Rewrap.run(targets, c.environment(), tenant, tools.kms(), tools.kms(), keyId,
                            c.kms().timeout(), Rewrap.Mode.OBJECT, (done, total) -> progress.update(done, total, 0),
                            c.signingIdentity(Role.OPERATOR), c.trust(),
                        c.archiver().retentionPolicy());
                    System.out.printf("2/4 rewrapped %,d of %,d segments onto version %s%n", r.rewrapped(), r.segments(),
                            r.targetVersion());
                    int left = Rewrap.needing(Rewrap.references(targets.get(0), c.environment(), tenant, c.trust()), keyId, version);
                    if (left > 0) {
                        System.err.println("strongroom keys compromised: " + left + " segments still need version " + version
                                + "; version not disabled");
                        return 1;
                    }
                    String service = ServiceKeys.protectedBecause(tenant);
                    if (service != null) {
                        tools.kms().record(AuditAction.DISABLE_KEY, AuditOutcome.DENIED, tenant, null, "refused: " + service);
                        System.err.println("strongroom keys compromised: version " + version + " not disabled: " + service);
                        return 1;
                    }
                    Kmses.await(tools.kms().disable(keyId, version), c.kms().timeout());
                    tools.publisher().publish(tenant, keyId, Kmses.await(tools.kms().describe(keyId), c.kms().timeout()),
                            "compromised: " + reason);
                    System.out.println("3/4 version " + version + " disabled");
                    try (S3Client s3 = c.s3().client()) {
                        RestoreJob.Result verify = RestoreJob.run(new ArchiveReader(s3, c.s3().bucket(), tools.kms(),
                                c.kms().timeout()), new RestoreJob.Options(c.environment(), tenant, null, null,
                                c.restore().parallelism()), new ProgressPrinter("verify " + tenant, System.err));
                        verify.problems().forEach(p -> System.err.println("problem: " + p));
                        System.out.printf("4/4 verify: %,d segments, %,d events, %s%n", verify.segments(), verify.events(),
                                verify.ok() ? "all decryptable without version " + version : verify.problems().size() + " problems");
                        tools.kms().record(AuditAction.OTHER, verify.ok() ? AuditOutcome.SUCCESS
                                : AuditOutcome.FAILURE, tenant, null, "INCIDENT " + (verify.ok() ? "contained" : "open")
                                + ": " + keyId + " version " + version + " disabled, " + r.rewrapped() + " segments rewrapped, verify "
                                + (verify.ok() ? "passed" : "failed"));
                        return verify.ok() ? 0 : 1;
                    }
                });
            } finally {
                targets.forEach(ArchiveTarget::close);
            }
        }
    }

    private static int printRequest(AdminClient.Answer a, String what) {
        if (!a.ok()) {
            System.err.println("strongroom keys " + what + ": " + a.error());
            return 1;
        }
        System.out.println("request " + a.body().path("id").asText() + " filed: " + a.body().path("action").asText() + " of tenant "
                + a.body().path("tenant").asText() + "; it needs two security officers' approvals (strongroom keys approve)");
        return 0;
    }

    /** The options of a request about one key version. */
    static final class VersionRequest {
        @Mixin ConfigOption config;
        @Mixin AdminClient.Options admin;
        @Option(names = "--tenant", required = true) String tenant;
        @Option(names = "--version", required = true) String version;
        @Option(names = "--reason", required = true) String reason;

        int file(String action, String command) throws Exception {
            StrongroomConfig c = config.load();
            return printRequest(AdminClient.call(c, admin, "POST", "/v1/requests",
                    Map.of("action", action, "tenant", tenant, "version", version, "reason", reason)), command);
        }
    }

    @Command(name = "request-destroy", mixinStandardHelpOptions = true,
            description = "Ask to destroy a key version (admin API). Two security officers must approve; then it waits out the "
                    + "policy's destroy-wait. Refused while archived segments still need the version.")
    static final class RequestDestroy implements Callable<Integer> {
        @Mixin VersionRequest request;

        @Override
        public Integer call() throws Exception {
            return request.file("DESTROY_VERSION", "request-destroy");
        }
    }

    @Command(name = "shred-tenant", mixinStandardHelpOptions = true,
            description = "Ask to crypto-shred a tenant: every version of its key is destroyed, so none of its archives can be "
                    + "decrypted again, anywhere. Two security officers must approve; then it waits out destroy-wait.")
    static final class ShredTenant implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin AdminClient.Options admin;
        @Option(names = "--tenant", required = true) String tenant;
        @Option(names = "--reason", required = true) String reason;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            return printRequest(AdminClient.call(c, admin, "POST", "/v1/requests",
                    Map.of("action", "SHRED_TENANT", "tenant", tenant, "reason", reason)), "shred-tenant");
        }
    }

    @Command(name = "request-enable", aliases = "enable", mixinStandardHelpOptions = true,
            description = "Ask to enable a disabled key version again (admin API): two security officers must approve.")
    static final class RequestEnable implements Callable<Integer> {
        @Mixin VersionRequest request;

        @Override
        public Integer call() throws Exception {
            return request.file("ENABLE_VERSION", "request-enable");
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve a dual-control request as a security officer, with the current code of your TOTP app.")
    static final class Approve implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin AdminClient.Options admin;
        @Option(names = "--request", required = true, paramLabel = "ID") String id;
        @Option(names = "--totp", required = true, paramLabel = "CODE", description = "The 6-digit code.") String totp;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            AdminClient.Answer a = AdminClient.call(c, admin, "POST", "/v1/requests/" + id + "/approve", Map.of("totp", totp));
            if (!a.ok()) {
                System.err.println("strongroom keys approve: refused: " + a.error());
                return 1;
            }
            System.out.println(a.body().path("message").asText() + (a.body().has("executed")
                    ? "; " + a.body().path("executed").asText() : ""));
            return 0;
        }
    }

    @Command(name = "unlock", mixinStandardHelpOptions = true,
            description = "Lift the lock of a security officer who gave too many wrong TOTP codes (coordinator.totp-max-failures); "
                    + "as another security officer, with the current code of your TOTP app.")
    static final class Unlock implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin AdminClient.Options admin;
        @Option(names = "--name", required = true, paramLabel = "PRINCIPAL", description = "Whose lock to lift.") String name;
        @Option(names = "--totp", required = true, paramLabel = "CODE", description = "Your 6-digit code.") String totp;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            AdminClient.Answer a = AdminClient.call(c, admin, "POST", "/v1/principals/" + name + "/unlock", Map.of("totp", totp));
            if (!a.ok()) {
                System.err.println("strongroom keys unlock: refused: " + a.error());
                return 1;
            }
            System.out.println(a.body().path("message").asText());
            return 0;
        }
    }

    @Command(name = "orphans", mixinStandardHelpOptions = true,
            description = "PKCS#11 only: list the AES keys on the token that no live key version names — the unlabelled "
                    + "copies earlier builds left of every version, and keys labelled strongroom:<tenant>:v<n> for versions the "
                    + "registry does not have or has destroyed. Keys with other labels are left alone. With --destroy, destroy "
                    + "them after confirmation, each one audited. The token must serve this registry alone.")
    static final class Orphans implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Option(names = "--destroy", description = "Destroy the keys listed (asks to type 'destroy N' unless --yes).")
        boolean destroy;

        @Option(names = "--yes", description = "With --destroy: do not ask for confirmation.")
        boolean yes;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            if (!"pkcs11".equals(c.kms().type())) {
                System.err.println("strongroom keys orphans: kms.type is " + c.kms().type() + "; orphaned keys are a PKCS#11 "
                        + "token's (kms.type pkcs11)");
                return 1;
            }
            String who = principal.audited();
            try (ManagedKms backend = KmsFactory.backend(c, System.getenv())) {
                Pkcs11Kms token = (Pkcs11Kms) backend;
                List<Pkcs11Kms.Orphan> orphans = token.orphans();
                orphans.forEach(o -> System.out.println("orphan: " + o));
                System.out.println(orphans.size() + " orphaned keys on the token");
                if (!destroy || orphans.isEmpty()) {
                    return 0;
                }
                if (!yes && !confirmed(orphans.size())) {
                    System.err.println("strongroom keys orphans: not confirmed; nothing destroyed");
                    return 1;
                }
                int failed = 0;
                try (AuditingKms audit = KmsFactory.create(c, who)) {
                    for (Pkcs11Kms.Orphan o : orphans) {
                        String keyId = o.tenant() == null ? null : audit.keyIdFor(o.tenant());
                        try {
                            token.destroyOrphan(o);
                            audit.recordFor(who, AuditAction.DESTROY_KEY, AuditOutcome.SUCCESS, o.tenant(), keyId, o.version(),
                                    "orphaned token key destroyed: " + o);
                            System.out.println("destroyed " + o);
                        } catch (KmsException e) {
                            audit.recordFor(who, AuditAction.DESTROY_KEY, AuditOutcome.FAILURE, o.tenant(), keyId, o.version(),
                                    "orphaned token key not destroyed: " + o + ": " + e.getMessage());
                            System.err.println("strongroom keys orphans: " + e.getMessage());
                            failed++;
                        }
                    }
                }
                return failed == 0 ? 0 : 1;
            }
        }

        /** Asks on stderr, reads the answer from stdin: the count must be typed, so a stray "y" destroys nothing. */
        private static boolean confirmed(int count) throws IOException {
            String expected = "destroy " + count;
            System.err.print("Destroy these " + count + " keys on the token for good? Type '" + expected + "' to confirm: ");
            System.err.flush();
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return answer != null && answer.strip().equals(expected);
        }
    }

    @Command(name = "requests", mixinStandardHelpOptions = true, description = "List dual-control requests.")
    static final class Requests implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin AdminClient.Options admin;

        @Override
        public Integer call() throws Exception {
            StrongroomConfig c = config.load();
            AdminClient.Answer a = AdminClient.call(c, admin, "GET", "/v1/requests", null);
            if (!a.ok()) {
                System.err.println("strongroom keys requests: " + a.error());
                return 1;
            }
            for (var r : a.body()) {
                System.out.printf("%s  %-15s %-10s %-6s %-9s by %s, approvals %s: %s%n", r.path("id").asText(), r.path("action").asText(),
                        r.path("tenant").asText(), r.path("version").asText("-"), r.path("state").asText(),
                        r.path("requestedBy").asText(), r.path("approvals"), r.path("reason").asText());
            }
            return 0;
        }
    }

    @Command(name = "seal-registry", mixinStandardHelpOptions = true,
            description = "Once, after upgrading: authenticate the key registry files written before registries carried a MAC "
                    + "(local and pkcs11 backends). Until then the KMS refuses them. Check first that the files are the KMS's "
                    + "own (e.g. against a backup): sealing makes whatever they say authentic. Audited.")
    static final class SealRegistry implements Callable<Integer> {
        @Mixin ConfigOption config;
        @Mixin PrincipalOption principal;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            List<String> sealed;
            try (AuditingKms audit = KmsFactory.create(c, principal.audited());
                    ManagedKms backend = KmsFactory.backend(c, System.getenv())) {
                if (!(backend instanceof RegistrySealing registry)) {
                    System.out.println("kms.type " + c.kms().type() + " keeps no key registry: nothing to seal");
                    return 0;
                }
                sealed = registry.sealRegistry();
                for (String tenant : sealed) {
                    audit.record(AuditAction.OTHER, AuditOutcome.SUCCESS, tenant, null,
                            "sealed the unauthenticated key registry " + registry.registryFile(tenant) + " (keys seal-registry)");
                    System.out.println("sealed " + registry.registryFile(tenant));
                    for (KeyVersion v : Kmses.await(backend.describe(backend.keyIdFor(tenant)), c.kms().timeout())) {
                        boolean unapproved = v.state() == KeyState.DESTROY_SCHEDULED && v.approval() == null;
                        System.out.printf("    version %-4s %-17s%s%n", v.version(), v.state(), unapproved
                                ? "  no dual-control approval recorded: the coordinator will not destroy it; file a destroy "
                                        + "request (keys request-destroy) if it should go" : "");
                    }
                }
            }
            System.out.println(sealed.isEmpty() ? "every key registry file is already sealed" : sealed.size() + " registry file(s) sealed");
            return 0;
        }
    }
}
