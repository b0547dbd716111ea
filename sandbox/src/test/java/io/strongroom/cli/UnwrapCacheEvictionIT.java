package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.KeyDisabledException;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** The unwrap cache of every process follows strongroom.keys: a disabled version stops working at once, not after the TTL. */
class UnwrapCacheEvictionIT {
    private static final Duration T = Duration.ofSeconds(30);

    @Test
    void aDisabledVersionStopsUnwrappingWithinSeconds() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-unwrap-cache-it-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(3, Topics.KEYS.name(), Topics.AUDIT.name());
            Path cfg = dir.resolve("strongroom.yaml");
            Files.writeString(cfg, String.join("\n", "environment: test", "data-dir: " + dir.resolve("state"), "kafka:",
                    "  bootstrap-servers: " + kafka.bootstrapServers(), Sandbox.s3Yaml("http://127.0.0.1:1", "unused"),
                    Sandbox.localKmsYaml(dir.resolve("kms"), Sandbox.passphraseFile(dir)),
                    "  unwrap-cache-ttl: PT30M", ""));
            StrongroomConfig config = ConfigLoader.load(cfg, Map.of());
            try (AuditingKms restore = KmsFactory.create(config, "restore");
                    AuditingKms coordinator = KmsFactory.create(config, "coordinator");
                    KafkaProducer<String, KeyVersionEvent> producer = new KafkaProducer<>(
                            config.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer())) {
                String keyId = Kmses.await(coordinator.createKek("acme"), T);
                DekContext context = new DekContext("test", "acme", "seg-1");
                DataKey dek = Kmses.await(coordinator.generateDek(keyId, context), T);
                String version = dek.wrapped().keyVersion();
                Kmses.await(coordinator.rotate(keyId), T); // version 1 is no longer primary: it may be disabled
                Kmses.await(restore.unwrapDek(dek.wrapped(), context), T); // now in the restore process's cache

                Kmses.await(coordinator.disable(keyId, version), T); // as the admin API does: disable, then publish
                new KeyPublisher(coordinator, producer, T, "coordinator").publish("acme", keyId,
                        Kmses.await(coordinator.describe(keyId), T), "disabled by the test");

                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                        assertThatThrownBy(() -> Kmses.await(restore.unwrapDek(dek.wrapped(), context), T))
                                .as("the other process's cached data key of version %s (cache TTL 30 min)", version)
                                .isInstanceOf(KeyDisabledException.class));
            }
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
