package io.strongroom.coordinator;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import javax.crypto.spec.SecretKeySpec;
import org.apache.commons.codec.binary.Base32;

/**
 * Who may do what to keys, and how they prove it: an API token (stored only as its SHA-256) and, for
 * security officers, a TOTP secret (RFC 6238, 30 s steps, 6 digits, HMAC-SHA1, as authenticator apps
 * use). A code is accepted for the current step and the one before (clock drift), and each code only
 * once per principal: a code of the last accepted step or an earlier one is refused, also after a
 * restart when the state is kept in a file ({@link #withTotpState}). After
 * {@code maxFailures} failed codes in a row a principal is locked: its codes are refused until
 * another security officer unlocks it ({@link #unlock}).
 */
public final class Principals {
    /** Failed TOTP codes in a row that lock a principal, unless configured. */
    public static final int DEFAULT_MAX_FAILURES = 5;

    /** What a TOTP code did. */
    public enum TotpResult {
        /** the principal's current code, not used before */
        ACCEPTED,
        /** wrong, old, reused or malformed */
        REFUSED,
        /** refused, and that failure locked the principal */
        LOCKED_NOW,
        /** not checked: the principal is locked */
        LOCKED
    }

    /** Roles: least privilege, an auditor only reads. */
    public enum Role { OPERATOR, SECURITY_OFFICER, AUDITOR }

    /**
     * One principal.
     *
     * @param roles its roles
     * @param tokenSha256 SHA-256 (hex) of its API token
     * @param totpSecretFile a file holding its TOTP secret (Base32), for security officers
     */
    public record Principal(Set<Role> roles, String tokenSha256, String totpSecretFile) {
        public Principal {
            roles = Set.copyOf(roles == null ? Set.of() : roles);
            if (tokenSha256 == null || !tokenSha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("a principal's token-sha256 must be 64 hex digits");
            }
            if (roles.contains(Role.SECURITY_OFFICER) && totpSecretFile == null) {
                throw new IllegalArgumentException("a security officer needs a totp-secret-file");
            }
        }
    }

    private static final TimeBasedOneTimePasswordGenerator TOTP = new TimeBasedOneTimePasswordGenerator();
    private final Map<String, Principal> principals;
    private volatile TotpLedger ledger = new TotpLedger(null, DEFAULT_MAX_FAILURES);
    private volatile Predicate<String> revoked = name -> false;

    public Principals(Map<String, Principal> principals) {
        this.principals = Map.copyOf(principals);
    }

    /** The principal whose token this is, or null. */
    public String authenticate(String name, String token) {
        Principal p = principals.get(name);
        if (p == null || token == null) {
            return null;
        }
        byte[] presented = sha256(token);
        return MessageDigest.isEqual(presented, HexFormat.of().parseHex(p.tokenSha256())) ? name : null;
    }

    /** Consults {@code revoked} (an {@link AccessReview}) on every call: a revoked principal has no access. */
    public Principals revokedBy(Predicate<String> revoked) {
        this.revoked = revoked;
        return this;
    }

    /** Whether an access review revoked {@code name}. */
    public boolean isRevoked(String name) {
        return revoked.test(name);
    }

    /** Every principal, by name. */
    public Map<String, Principal> all() {
        return principals;
    }

    public boolean has(String name, Role role) {
        Principal p = principals.get(name);
        return p != null && p.roles().contains(role);
    }

    /**
     * Keeps the TOTP state (last accepted step, failed codes, locks) in {@code file} (0600, replaced
     * atomically; read now if it exists) and locks a principal after {@code maxFailures} failed codes.
     */
    public Principals withTotpState(Path file, int maxFailures) {
        this.ledger = new TotpLedger(file, maxFailures);
        return this;
    }

    /** Whether {@code code} is {@code name}'s current TOTP code, not used before (and {@code name} is not locked). */
    public boolean checkTotp(String name, String code, Instant now) {
        return verifyTotp(name, code, now) == TotpResult.ACCEPTED;
    }

    /** Checks {@code code} as {@link #checkTotp}, counting a failure against a security officer. */
    public synchronized TotpResult verifyTotp(String name, String code, Instant now) {
        Principal p = principals.get(name);
        if (p == null || p.totpSecretFile() == null) {
            return TotpResult.REFUSED;
        }
        TotpLedger.Entry entry = ledger.of(name);
        if (entry.locked()) {
            return TotpResult.LOCKED;
        }
        if (code != null && code.matches("\\d{6}")) {
            SecretKeySpec key = secret(p.totpSecretFile());
            long step = now.getEpochSecond() / TOTP.getTimeStep().getSeconds();
            for (long s = step; s >= step - 1; s--) {
                String expected = code(key, Instant.ofEpochSecond(s * TOTP.getTimeStep().getSeconds()));
                if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), code.getBytes(StandardCharsets.US_ASCII))) {
                    if (entry.lastStep() >= s) {
                        break; // replayed: a failure like any other
                    }
                    ledger.accepted(name, s);
                    return TotpResult.ACCEPTED;
                }
            }
        }
        return ledger.failed(name, now.toEpochMilli()) ? TotpResult.LOCKED_NOW : TotpResult.REFUSED;
    }

    /** Whether {@code name} is locked after too many failed TOTP codes. */
    public boolean isLocked(String name) {
        return ledger.of(name).locked();
    }

    /** Failed TOTP codes in a row that lock a principal. */
    public int maxFailures() {
        return ledger.maxFailures();
    }

    /**
     * Lifts {@code name}'s lock, by {@code by}: another security officer, with a valid TOTP code of
     * their own.
     *
     * @return what was done
     * @throws SecurityException naming why it is refused
     */
    public synchronized String unlock(String name, String by, String code, Instant now) {
        if (!has(by, Role.SECURITY_OFFICER)) {
            throw new SecurityException(by + " is not a security officer: only another security officer unlocks " + name);
        }
        if (by.equals(name)) {
            throw new SecurityException(by + " cannot unlock themself: another security officer must");
        }
        if (!principals.containsKey(name)) {
            throw new IllegalArgumentException("no principal " + name);
        }
        if (!isLocked(name)) {
            throw new IllegalArgumentException(name + " is not locked");
        }
        TotpResult r = verifyTotp(by, code, now);
        if (r != TotpResult.ACCEPTED) {
            throw new SecurityException(r == TotpResult.LOCKED ? by + " is locked too" : "wrong, old or reused TOTP code for " + by
                    + (r == TotpResult.LOCKED_NOW ? "; " + by + " is now locked after " + maxFailures() + " failed codes" : ""));
        }
        ledger.unlock(name, by);
        return name + " unlocked by " + by;
    }

    /** The TOTP code of a Base32 {@code secret} at {@code when} (for tests and enrolment checks). */
    public static String code(String base32Secret, Instant when) {
        return code(new SecretKeySpec(new Base32().decode(base32Secret), "HmacSHA1"), when);
    }

    private static String code(SecretKeySpec key, Instant when) {
        try {
            return String.format("%06d", TOTP.generateOneTimePassword(key, when));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("invalid TOTP secret", e);
        }
    }

    private static SecretKeySpec secret(String file) {
        try {
            return new SecretKeySpec(new Base32().decode(Files.readString(Path.of(file)).strip()), "HmacSHA1");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TOTP secret file " + file, e);
        }
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The TOTP step. */
    public static Duration step() {
        return TOTP.getTimeStep();
    }
}
