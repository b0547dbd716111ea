package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.coordinator.CoordinatorService;
import io.strongroom.coordinator.KeyRotator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The status page renders the coordinator's typed status; what it shows of names and errors is escaped. */
class StatusPageTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    @Test
    void showsEachTenantsKeyAndTestRestoreAndEscapesWhatItIsTold() {
        KeyRotator.Status key = new KeyRotator.Status("acme", "local://acme", "3", NOW.minus(Duration.ofDays(100)),
                NOW.minus(Duration.ofDays(10)), List.of());
        CoordinatorService.Status status = new CoordinatorService.Status(NOW, "prod", List.of(
                new CoordinatorService.TenantStatus("acme", key, true, Map.of("local://acme/2", 4, "local://acme/3", 12),
                        new CoordinatorService.Verification(false, NOW), null),
                new CoordinatorService.TenantStatus("<script>x</script>", null, false, Map.of(), null, "no key yet")),
                4, 3, List.of(new CoordinatorService.GroupLag("archiver", "strongroom-archiver", 1234567L, null),
                        new CoordinatorService.GroupLag("anomaly", "strongroom-anomaly", null, "unknown (broker <down>)")),
                Map.of("unwrap", new CoordinatorService.KmsLatency(10, 1.5)), null, Duration.ofMinutes(5));

        String html = StatusPage.html(status);

        assertThat(html).contains("<title>Strongroom status: prod</title>")
                .contains("<td>acme</td><td>local://acme</td><td>v3</td>")
                .contains("class=\"bad\">OVERDUE").contains("<span class=\"bad\">FAILED</span> at " + NOW)
                .contains("&lt;script&gt;x&lt;/script&gt;").doesNotContain("<script>")
                .contains("<td colspan=\"6\">no key yet</td><td>not yet</td>")
                .contains("75 %</b> of 4 scheduled test restores")
                .contains("<td>strongroom-archiver</td><td>1,234,567</td>").contains("unknown (broker &lt;down&gt;)")
                .contains("<td>unwrap</td><td>10</td><td>1.50 ms</td>")
                .contains("none yet (every PT5M)");
        assertThat(html).containsAnyOf("v2: 4, v3: 12", "v3: 12, v2: 4");
    }
}
