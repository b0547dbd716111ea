package io.strongroom.cli;

import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.crypto.audit.AuditChainHead;
import io.strongroom.crypto.audit.AuditSigning;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.kms.Kms;
import org.slf4j.LoggerFactory;

/** Who signs an audit chain ({@code identity.directory}) and whom verifiers trust ({@code identity.trust-file}). */
final class AuditIdentity {
    private AuditIdentity() {}

    /**
     * How {@code principal}'s emitter signs its chain, or null when {@code identity.directory} is not set.
     *
     * @param kms unwraps an identity encrypted under the KMS (the backend, before any audit trail exists), or null
     * @throws IllegalArgumentException if its role's identity is missing or not that role's or environment's (fail
     *     closed: signing was asked for); a principal of no role gets an unsigned chain
     */
    static AuditSigning signing(StrongroomConfig c, String principal, Kms kms) {
        if (c.identity().directory() == null) {
            return null;
        }
        Role role = AuditChainHead.roleOf(principal);
        if (role == null) { // recorded all the same, on an unsigned chain that readers with a trust file name
            LoggerFactory.getLogger(AuditIdentity.class).atWarn().addKeyValue("principal", principal)
                    .log("principal has no role, so no identity: its audit chain is unsigned (not authentic to readers)");
            return null;
        }
        SigningIdentity id = c.signingIdentity(role, kms);
        return new AuditSigning(id, c.audit().signEveryEvents(), c.audit().signEvery());
    }
}
