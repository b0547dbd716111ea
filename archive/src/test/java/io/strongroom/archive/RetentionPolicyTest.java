package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.Classification;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Object Lock from the retention policy: a classification without a retention gets the default lock, not none. */
class RetentionPolicyTest {
    private static final long SEALED = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static final RetentionPolicy POLICY = new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(30)),
            "COMPLIANCE", Duration.ofDays(365));

    private static Manifests.Entry entry(Classification c, long sealedAtMs) {
        return new Manifests.Entry("s", "k", "changes", 0, 0, 9, 10, sealedAtMs, sealedAtMs, sealedAtMs, null, "local://k",
                "1", 5, "00", "00000000", c == null ? null : c.name(), null, null, null);
    }

    @Test
    void aSegmentWithARetentionIsLockedUntilItExpiresOneWithoutUntilTheDefault() {
        assertThat(POLICY.lockUntil(Classification.PUBLIC, SEALED)).isEqualTo(Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(30)));
        assertThat(POLICY.lockUntil(Classification.RESTRICTED, SEALED)).isEqualTo(Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(365)));
        assertThat(POLICY.lockUntil(null, SEALED)).isEqualTo(Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(365)));
    }

    @Test
    void withoutObjectLockNothingIsLockedAndWithoutADefaultOnlyWhatExpires() {
        assertThat(new RetentionPolicy(Map.of(), null, Duration.ofDays(1)).lockUntil(Classification.PUBLIC, SEALED)).isNull();
        RetentionPolicy noDefault = new RetentionPolicy(Map.of(Classification.PUBLIC, Duration.ofDays(30)), "GOVERNANCE");
        assertThat(noDefault.lockUntil(Classification.RESTRICTED, SEALED)).isNull();
        assertThat(noDefault.lockOf(List.of(entry(Classification.RESTRICTED, SEALED)))).isNull();
    }

    @Test
    void aManifestPartIsLockedAsLongAsItsLongestLockedSegment() {
        ArchiveTarget.Lock lock = POLICY.lockOf(List.of(entry(Classification.PUBLIC, SEALED),
                entry(Classification.INTERNAL, SEALED), entry(Classification.PUBLIC, SEALED + 1)));
        assertThat(lock).isEqualTo(new ArchiveTarget.Lock("COMPLIANCE", Instant.ofEpochMilli(SEALED).plus(Duration.ofDays(365))));
    }

    @Test
    void aNonPositiveDefaultLockIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> new RetentionPolicy(Map.of(), "COMPLIANCE", Duration.ZERO))
                .hasMessageContaining("archiver.default-lock");
    }
}
