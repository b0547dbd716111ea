package io.strongroom.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.coordinator.internal.DualControl.Action;
import io.strongroom.coordinator.internal.DualControl.State;
import io.strongroom.coordinator.Principals.Role;
import io.strongroom.coordinator.internal.DualControl;
import io.strongroom.testkit.TestSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DualControlTest {
    private static final String ALICE_SECRET = TestSecrets.ALICE_TOTP;
    private static final String BOB_SECRET = TestSecrets.BOB_TOTP;
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    @TempDir Path dir;
    private Principals principals;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(dir.resolve("alice.totp"), ALICE_SECRET);
        Files.writeString(dir.resolve("bob.totp"), BOB_SECRET);
        principals = new Principals(Map.of(
                "alice", new Principals.Principal(Set.of(Role.SECURITY_OFFICER), token("a"), dir.resolve("alice.totp").toString()),
                "bob", new Principals.Principal(Set.of(Role.SECURITY_OFFICER), token("b"), dir.resolve("bob.totp").toString()),
                "carol", new Principals.Principal(Set.of(Role.OPERATOR), token("c"), null),
                "dave", new Principals.Principal(Set.of(Role.AUDITOR), token("d"), null)));
    }

    private static String token(String t) {
        return HexFormat.of().formatHex(Principals.sha256(t));
    }

    @Test
    void destructionNeedsTwoDistinctSecurityOfficersWithValidFreshCodesWithinTheWindow() {
        DualControl dc = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(30));
        assertThatThrownBy(() -> dc.request(Action.DESTROY_VERSION, "acme", "1", "retired", "dave", T0))
                .isInstanceOf(SecurityException.class).hasMessageContaining("dave may not request");
        var r = dc.request(Action.DESTROY_VERSION, "acme", "1", "retired", "carol", T0);

        assertThat(dc.approve(r.id(), "carol", "000000", T0).message()).isEqualTo("carol is not a security officer");
        String wrong = Principals.code(BOB_SECRET, T0); // bob's code is not alice's
        assertThat(dc.approve(r.id(), "alice", wrong, T0).accepted()).isFalse();
        var first = dc.approve(r.id(), "alice", Principals.code(ALICE_SECRET, T0), T0);
        assertThat(first.accepted()).isTrue();
        assertThat(first.complete()).isFalse();
        assertThat(dc.approve(r.id(), "alice", Principals.code(ALICE_SECRET, T0.plusSeconds(60)), T0.plusSeconds(60)).message())
                .contains("alice already approved");

        DualControl restarted = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(30));
        assertThat(restarted.all()).singleElement().satisfies(x -> assertThat(x.approvals()).containsExactly("alice"));
        var second = restarted.approve(r.id(), "bob", Principals.code(BOB_SECRET, T0.plusSeconds(90)), T0.plusSeconds(90));
        assertThat(second.complete()).isTrue();
        assertThat(second.request().state()).isEqualTo(State.APPROVED);
        assertThat(second.message()).isEqualTo("approved by alice and bob");
    }

    @Test
    void aCodeCannotBeReplayedAndApprovalsAfterTheWindowAreRefused() {
        DualControl dc = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(5));
        var a = dc.request(Action.SHRED_TENANT, "acme", null, "customer left", "carol", T0);
        var b = dc.request(Action.ENABLE_VERSION, "acme", "1", "needed again", "carol", T0);
        String code = Principals.code(ALICE_SECRET, T0);
        assertThat(dc.approve(a.id(), "alice", code, T0).accepted()).isTrue();
        assertThat(dc.approve(b.id(), "alice", code, T0.plusSeconds(5)).message()).as("same code again")
                .isEqualTo("wrong, old or reused TOTP code for alice");
        var late = dc.approve(b.id(), "bob", Principals.code(BOB_SECRET, T0.plusSeconds(600)), T0.plusSeconds(600));
        assertThat(late.accepted()).isFalse();
        assertThat(late.message()).contains("expired");
        assertThat(dc.all()).filteredOn(r -> r.id().equals(b.id())).singleElement()
                .satisfies(r -> assertThat(r.state()).isEqualTo(State.EXPIRED));
        assertThat(principals.authenticate("carol", "c")).isEqualTo("carol");
        assertThat(principals.authenticate("carol", "x")).isNull();
    }

    @Test
    void threeWrongCodesLockAnOfficerUntilAnotherUnlocksAndTheStateSurvivesARestart() {
        principals.withTotpState(dir.resolve("totp.json"), 3);
        DualControl dc = new DualControl(dir.resolve("requests.json"), principals, Duration.ofMinutes(30));
        var r = dc.request(Action.DESTROY_VERSION, "acme", "1", "retired", "carol", T0);
        String wrong = Principals.code(BOB_SECRET, T0);
        assertThat(dc.approve(r.id(), "alice", wrong, T0).message()).isEqualTo("wrong, old or reused TOTP code for alice");
        assertThat(dc.approve(r.id(), "alice", "12x456", T0).message()).isEqualTo("wrong, old or reused TOTP code for alice");
        assertThat(dc.approve(r.id(), "alice", wrong, T0).message()).endsWith("alice is now locked after 3 failed codes");
        assertThat(dc.approve(r.id(), "alice", Principals.code(ALICE_SECRET, T0), T0).message())
                .isEqualTo("alice is locked after 3 failed TOTP codes; another security officer must unlock alice");

        Principals restarted = new Principals(principals.all()).withTotpState(dir.resolve("totp.json"), 3);
        assertThat(restarted.isLocked("alice")).isTrue();
        assertThatThrownBy(() -> restarted.unlock("alice", "alice", Principals.code(ALICE_SECRET, T0), T0))
                .isInstanceOf(SecurityException.class).hasMessageContaining("another security officer must");
        assertThatThrownBy(() -> restarted.unlock("alice", "carol", "123456", T0))
                .isInstanceOf(SecurityException.class).hasMessageContaining("carol is not a security officer");
        assertThat(restarted.unlock("alice", "bob", Principals.code(BOB_SECRET, T0), T0)).isEqualTo("alice unlocked by bob");
        assertThat(restarted.checkTotp("bob", Principals.code(BOB_SECRET, T0), T0)).as("bob's code, used to unlock").isFalse();
        assertThat(restarted.checkTotp("alice", Principals.code(ALICE_SECRET, T0), T0)).isTrue();
        assertThat(new Principals(principals.all()).withTotpState(dir.resolve("totp.json"), 3)
                .checkTotp("alice", Principals.code(ALICE_SECRET, T0.plusSeconds(10)), T0.plusSeconds(10)))
                .as("the same step again, after another restart").isFalse();
    }
}
