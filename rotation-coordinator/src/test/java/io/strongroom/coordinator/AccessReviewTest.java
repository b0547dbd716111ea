package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditEvent;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.testkit.TestKms;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessReviewTest {
    private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");
    @TempDir Path dir;

    private static final Map<String, Principals.Principal> PRINCIPALS = Map.of(
            "alice", new Principals.Principal(Set.of(Principals.Role.OPERATOR), "00".repeat(32), null),
            "dave", new Principals.Principal(Set.of(Principals.Role.AUDITOR), "11".repeat(32), null));

    @Test
    void aPrincipalInactiveBeyondThePeriodIsRevokedAuditedAndNoLongerAuthenticates() {
        Path file = dir.resolve("access.json");
        new AccessReview(file, Duration.ofDays(90), Clock.fixed(T0, ZoneOffset.UTC)).review(PRINCIPALS, Map.of()); // first seen
        AccessReview later = new AccessReview(file, Duration.ofDays(90), Clock.fixed(T0.plus(Duration.ofDays(91)), ZoneOffset.UTC));
        List<AccessReview.Row> rows = later.review(PRINCIPALS, Map.of("alice", T0.plus(Duration.ofDays(60))));
        assertThat(rows).extracting(AccessReview.Row::principal, AccessReview.Row::inactive)
                .containsExactly(Tuple.tuple("alice", false), Tuple.tuple("dave", true));

        InMemoryAuditTrail trail = new InMemoryAuditTrail("coordinator-test");
        try (AuditingKms audit = new AuditingKms(TestKms.local(dir.resolve("kms"), true), trail, "coordinator")) {
            assertThat(later.revokeInactive(rows, audit, "coordinator")).containsExactly("dave");
            assertThat(later.revokeInactive(later.review(PRINCIPALS, Map.of("alice", T0.plus(Duration.ofDays(60)))), audit,
                    "coordinator")).as("once").isEmpty();
        }
        assertThat(trail.events()).extracting(AuditEvent::getDetail).singleElement().asString()
                .startsWith("ACCESS_REVOKED dave: inactive since " + T0);

        Principals principals = new Principals(PRINCIPALS).revokedBy(new AccessReview(file, Duration.ofDays(90), Clock.systemUTC())::revoked);
        assertThat(principals.isRevoked("dave")).as("survives a restart").isTrue();
        assertThat(principals.isRevoked("alice")).isFalse();

        try (AuditingKms audit = new AuditingKms(TestKms.local(dir.resolve("kms"), true), trail, "operator:sec")) {
            assertThat(later.reinstate("dave", audit, "operator:sec")).isTrue();
        }
        assertThat(principals.isRevoked("dave")).isFalse();
        assertThat(trail.events()).extracting(AuditEvent::getDetail).last().isEqualTo("ACCESS_REINSTATED dave");
    }
}
