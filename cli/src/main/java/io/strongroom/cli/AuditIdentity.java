package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditChainHead;
import io.strongroom.crypto.audit.AuditSigning;
import io.strongroom.crypto.identity.IdentityFile;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.identity.TrustFile;
import java.nio.file.Path;
import java.util.Locale;

/** Who signs an audit chain ({@code audit.identity-file}) and whom verifiers trust ({@code audit.trust-file}). */
final class AuditIdentity {
    private AuditIdentity() {}

    /**
     * How {@code principal}'s emitter signs its chain, or null when {@code audit.identity-file} is not set.
     *
     * @throws IllegalArgumentException if the principal has no role, or the identity file is not that role's
     *     or environment's (fail closed: signing was asked for)
     */
    static AuditSigning signing(StrongroomConfig c, String principal) {
        String pattern = c.audit().identityFile();
        if (pattern == null) {
            return null;
        }
        Role role = AuditChainHead.roleOf(principal);
        if (role == null) {
            throw new IllegalArgumentException("audit.identity-file is set, but principal '" + principal
                    + "' has no role to sign its audit chain as");
        }
        Path file = Path.of(pattern.replace("{role}", role.name().toLowerCase(Locale.ROOT)));
        SigningIdentity id = IdentityFile.load(file);
        if (id.role() != role || !id.environment().equals(c.environment())) {
            throw new IllegalArgumentException("audit.identity-file " + file + " holds " + id.keyId() + " of environment "
                    + id.environment() + ", but " + principal + " signs as " + role + " in " + c.environment());
        }
        return new AuditSigning(id, c.audit().signEveryEvents(), c.audit().signEvery());
    }

    /** The trust file of {@code audit.trust-file}, or null when it is not set. */
    static TrustFile trust(StrongroomConfig c) {
        if (c.audit().trustFile() == null) {
            return null;
        }
        TrustFile trust = TrustFile.load(Path.of(c.audit().trustFile()));
        if (!trust.environment().equals(c.environment())) {
            throw new IllegalArgumentException("audit.trust-file " + c.audit().trustFile() + " is for environment "
                    + trust.environment() + ", not " + c.environment());
        }
        return trust;
    }
}
