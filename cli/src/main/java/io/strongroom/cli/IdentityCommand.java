package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code strongroom identity}: the services' signing identities ({@code identity.directory}) and the trust file readers
 * pin ({@code identity.trust-file}). See the README's "Service identities".
 */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = "Signing identities of the services and the trust file readers check catalog objects against.",
        subcommands = {IdentityCommand.Init.class, IdentityCommand.Rotate.class, IdentityCommand.Show.class,
            IdentityCommand.Trust.class})
final class IdentityCommand {

    static Role role(String name) {
        return Role.parse(name);
    }

    static String dir(StrongroomConfig c) {
        if (c.identity().directory() == null) {
            throw new IllegalArgumentException("identity.directory is not set in the configuration: where should "
                    + "the identity files go?");
        }
        return c.identity().directory();
    }

    static Path trustFile(StrongroomConfig c) {
        if (c.identity().trustFile() == null) {
            throw new IllegalArgumentException("identity.trust-file is not set in the configuration");
        }
        return Path.of(c.identity().trustFile());
    }

    /** The trust file, or a new empty one for the environment if it does not exist yet. */
    static TrustFile trustOrEmpty(StrongroomConfig c) {
        Path file = trustFile(c);
        return Files.exists(file) ? c.trust() : TrustFile.empty(c.environment());
    }

    static final class Roles {
        @Option(names = "--role", paramLabel = "ROLE", description = "archiver, coordinator, encryptor, ingest, restore or operator.")
        String role;

        @Option(names = "--all", description = "Every role.")
        boolean all;

        List<Role> roles() {
            return all ? List.of(Role.values()) : List.of(role(role));
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Make a signing identity ({identity.directory}/{role}.identity.json, owner-only) and trust its "
                    + "public key in identity.trust-file (created if absent). Never replaces an identity.")
    static final class Init implements Callable<Integer> {
        @Mixin ConfigOption config;
        @ArgGroup(multiplicity = "1") Roles roles;

        @Option(names = "--kms", description = "Encrypt each identity's private key under the KMS (kms.*): a copy of the "
                + "file then signs nothing without it. For services that have a KMS (not the archiver).")
        boolean underKms;

        @Option(names = "--no-trust", description = "Only make the identity (the trust file is kept on another host: add "
                + "the entry 'identity show' prints there).")
        boolean noTrust;

        @Override
        public Integer call() throws IOException {
            StrongroomConfig c = config.load();
            Files.createDirectories(Path.of(dir(c)));
            TrustFile trust = noTrust ? null : trustOrEmpty(c);
            List<Role> made = new ArrayList<>();
            for (Role r : roles.roles()) {
                Path file = c.identity().file(r);
                if (Files.exists(file) && roles.all) {
                    System.out.println("kept " + file + " (exists)");
                    if (trust != null) { // trusted, also if the trust file is new
                        trust = trust.with(c.signingIdentity(r));
                    }
                    continue;
                }
                boolean wrap = underKms && r != Role.ARCHIVER;
                if (underKms && r == Role.ARCHIVER && !roles.all) {
                    throw new IllegalArgumentException("the archiver has no KMS (it holds no key that decrypts): make its "
                            + "identity without --kms and keep the file readable by the archiver only");
                } else if (underKms && r == Role.ARCHIVER) {
                    System.out.println("the archiver has no KMS: its identity is an owner-only file");
                }
                SigningIdentity id;
                if (wrap) {
                    try (AuditingKms kms = KmsFactory.createUnsigned(c, "operator")) {
                        id = IdentityFile.createWrapped(file, r, c.environment(), kms, c.kms().timeout());
                    }
                } else {
                    id = IdentityFile.create(file, r, c.environment());
                }
                made.add(r);
                System.out.println("made " + file + ": " + id.keyId());
                if (trust != null) {
                    trust = trust.with(id);
                }
            }
            if (trust != null && !made.isEmpty()) {
                trust.write(trustFile(c));
                System.out.println("trusted in " + trustFile(c) + ": " + made);
            }
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Replace a role's identity with a new one and trust the new key. The old file is kept as "
                    + "{file}.retired-{keyId} and its key stays trusted: objects it signed still verify. Remove it with "
                    + "'identity trust --remove KEYID' only after 'archive sign-legacy' or once nothing it signed is kept.")
    static final class Rotate implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "The role whose identity to rotate.")
        String role;

        @Override
        public Integer call() throws IOException {
            StrongroomConfig c = config.load();
            Role r = role(role);
            Path file = c.identity().file(r);
            SigningIdentity old = c.signingIdentity(r);
            boolean wrapped = IdentityFile.isWrapped(file);
            Path retired = file.resolveSibling(file.getFileName() + ".retired-" + old.keyId());
            // the new identity is made beside the old one first: a failure leaves the service its identity
            Path next = file.resolveSibling(file.getFileName() + ".new");
            Files.deleteIfExists(next);
            SigningIdentity id;
            if (wrapped) { // as protected as the one it replaces
                try (AuditingKms kms = KmsFactory.createUnsigned(c, "operator")) {
                    id = IdentityFile.createWrapped(next, r, c.environment(), kms, c.kms().timeout());
                }
            } else {
                id = IdentityFile.create(next, r, c.environment());
            }
            Files.move(file, retired, StandardCopyOption.ATOMIC_MOVE);
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);
            trustOrEmpty(c).with(id).write(trustFile(c));
            System.out.println("rotated " + r + ": " + old.keyId() + " -> " + id.keyId() + " (old identity kept as " + retired
                    + ", still trusted); restart the " + r.name().toLowerCase(Locale.ROOT) + " to sign with it");
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a role's public-key entry (no secret), for 'identity trust --add' on the readers' hosts.")
    static final class Show implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "The role.")
        String role;

        @Override
        public Integer call() {
            StrongroomConfig c = config.load();
            System.out.println(TrustFile.entryJson(TrustFile.entryOf(c.signingIdentity(role(role)))));
            return 0;
        }
    }

    @Command(name = "trust", mixinStandardHelpOptions = true,
            description = "List, add or remove the keys in identity.trust-file.")
    static final class Trust implements Callable<Integer> {
        @Mixin ConfigOption config;

        @Option(names = "--add", paramLabel = "ENTRY", description = "A public-key entry file ('identity show' prints one).")
        List<Path> add = List.of();

        @Option(names = "--remove", paramLabel = "KEYID", description = "A key id to stop trusting: what it signed is "
                + "then unauthenticated.")
        List<String> remove = List.of();

        @Override
        public Integer call() throws IOException {
            StrongroomConfig c = config.load();
            TrustFile trust = trustOrEmpty(c);
            for (Path p : add) {
                TrustFile.Key k = TrustFile.readEntry(p);
                trust = trust.with(k);
                System.out.println("trusted " + k.keyId() + " (" + k.role() + ")");
            }
            for (String id : remove) {
                if (trust.keys().stream().noneMatch(k -> k.keyId().equals(id))) {
                    throw new IllegalArgumentException(id + " is not in " + trustFile(c));
                }
                trust = trust.without(id);
                System.out.println("no longer trusted: " + id);
            }
            if (!add.isEmpty() || !remove.isEmpty()) {
                trust.write(trustFile(c));
            }
            for (TrustFile.Key k : trust.keys()) {
                System.out.printf("%-30s %-12s added %s%n", k.keyId(), k.role(), Instant.ofEpochMilli(k.addedAtMs()));
            }
            return 0;
        }
    }
}
