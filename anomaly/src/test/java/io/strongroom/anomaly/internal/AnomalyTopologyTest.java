package io.strongroom.anomaly.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.avro.Alert;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each rule of the detector, on the real topology (pure logic: no broker needed). */
class AnomalyTopologyTest {
    private static final long T0 = Instant.parse("2026-11-29T10:00:00Z").toEpochMilli();
    private TopologyTestDriver driver;
    private TestInputTopic<String, AuditEvent> audit;
    private TestInputTopic<String, KeyVersionEvent> keys;
    private TestOutputTopic<String, Alert> alerts;
    private long sequence;
    @TempDir Path dir;

    private void start(AnomalyConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "anomaly-test-" + UUID.randomUUID());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        props.put("processing.exception.handler.global.enabled", true);
        driver = new TopologyTestDriver(AnomalyTopology.topology(config), props);
        audit = driver.createInputTopic(Topics.AUDIT.name(), Topics.AUDIT.keySerde().serializer(), Topics.AUDIT.valueSerde().serializer());
        keys = driver.createInputTopic(Topics.KEYS.name(), Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer());
        alerts = driver.createOutputTopic(Topics.ALERTS.name(), Topics.ALERTS.keySerde().deserializer(),
                Topics.ALERTS.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private void event(String principal, AuditAction action, AuditOutcome outcome, long atMs, String keyVersion) {
        AuditEvent e = AuditEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setEmitter("emitter-1")
                .setSequence(sequence++).setTimestampMs(atMs).setPrincipal(principal).setAction(action).setOutcome(outcome)
                .setTenant("acme").setKeyId(keyVersion == null ? null : "local://acme").setKeyVersion(keyVersion)
                .setPreviousHash(ByteBuffer.allocate(32)).setHash(ByteBuffer.allocate(32)).build();
        audit.pipeInput("emitter-1", e, atMs);
    }

    private List<Alert> alerts() {
        return alerts.readValuesToList();
    }

    @Test
    void anAccessDenialAlertsAtOnceWithTheEventAsEvidence() {
        start(AnomalyConfig.defaults());
        event("operator:mallory", AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, T0, null);
        event("operator:mallory", AuditAction.ACCESS_DENIED, AuditOutcome.DENIED, T0 + 1000, null);
        List<Alert> out = alerts();
        assertThat(out).singleElement().satisfies(a -> {
            assertThat(a.getRule()).isEqualTo("access-denied");
            assertThat(a.getPrincipal()).isEqualTo("operator:mallory");
            assertThat(a.getEvidence()).singleElement().asString().contains("emitter-1/0").contains("ACCESS_DENIED DENIED");
        });
    }

    @Test
    void repeatedFailuresAlertOnceAtTheThresholdWithinAWindowNotAcrossWindows() {
        start(new AnomalyConfig(null, Duration.ofMinutes(1), 3, null, null, null, null, null, null));
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.FAILURE, T0, "1");
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.FAILURE, T0 + 61_000, "1"); // next window: counts restart
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.FAILURE, T0 + 62_000, "1");
        assertThat(alerts()).isEmpty();
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.FAILURE, T0 + 63_000, "1");
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.FAILURE, T0 + 64_000, "1");
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getRule()).isEqualTo("repeated-failures");
            assertThat(a.getSummary()).startsWith("3 failed or denied key uses by restore");
            assertThat(a.getEvidence()).hasSize(3);
        });
    }

    @Test
    void anUnwrapVolumeFarAboveAPrincipalsUsualAlertsButItsUsualVolumeDoesNot() {
        start(new AnomalyConfig(null, Duration.ofMinutes(1), null, 5.0, 20, 3, null, null, null));
        for (int w = 0; w < 4; w++) { // four ordinary windows: 10 unwraps each
            for (int i = 0; i < 10; i++) {
                event("verify", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0 + w * 60_000L + i * 100, "1");
            }
        }
        assertThat(alerts()).as("usual volume").isEmpty();
        for (int i = 0; i < 60; i++) { // then six times as many
            event("verify", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0 + 4 * 60_000L + i * 100, "1");
        }
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getRule()).isEqualTo("unwrap-volume");
            assertThat(a.getSummary()).startsWith("verify unwrapped 51 data keys").contains("usually 10.0 per window");
        });
    }

    @Test
    void anUnwrapByAnUnexpectedPrincipalAndARestoreOutsideItsWindowAlert() {
        start(new AnomalyConfig(null, null, null, null, null, null, null, null, "06:00-20:00"));
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0, "1"); // 10:00 UTC: allowed
        event("operator:ops", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0, "1"); // operator:* is expected
        assertThat(alerts()).isEmpty();
        event("backup-exporter", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0 + 1000, "1");
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, Instant.parse("2026-11-29T23:30:00Z").toEpochMilli(), "1");
        assertThat(alerts()).extracting(Alert::getRule, Alert::getPrincipal).containsExactly(
                Tuple.tuple("unexpected-unwrapper", "backup-exporter"),
                Tuple.tuple("restore-outside-window", "restore"));
    }

    @Test
    void aKeyUsedAfterItWasDisabledAlertsEveryTime() {
        start(AnomalyConfig.defaults());
        keys.pipeInput("local://acme/1", KeyVersionEvent.newBuilder().setKeyId("local://acme").setTenant("acme").setVersion("1")
                .setState(KeyState.DISABLED).setAlgorithm("AES256_GCM").setCreatedAtMs(T0 - 100_000).setChangedAtMs(T0 - 1000)
                .setActor("operator:ops").build());
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0 - 2000, "1"); // before it was disabled
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0, "2");
        assertThat(alerts()).isEmpty();
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0, "1");
        event("restore", AuditAction.UNWRAP_DEK, AuditOutcome.SUCCESS, T0 + 10, "1");
        assertThat(alerts()).hasSize(2).allSatisfy(a -> {
            assertThat(a.getRule()).isEqualTo("disabled-key-used");
            assertThat(a.getSummary()).contains("local://acme version 1").contains("DISABLED").contains("operator:ops");
        });
    }
}
