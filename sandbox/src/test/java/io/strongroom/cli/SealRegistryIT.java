package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.config.ConfigLoader;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.local.LocalKmsConfig;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Migration: a key registry file from before registries were authenticated is refused until `keys seal-registry`. */
class SealRegistryIT {
    private static final Duration T = Duration.ofSeconds(10);

    @Test
    void anUnauthenticatedRegistryIsRefusedUntilSealedOnceAndTheSealIsAudited() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-seal-registry-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            StrongroomConfig config = ConfigLoader.load(sandbox.configFile(), Map.of());
            PipelineIT.Run provisioned = PipelineIT.run("coordinator", "--config", sandbox.configFile().toString(), "--once");
            assertThat(provisioned.code()).as("topics provisioned: " + provisioned.err()).isZero();
            Path file;
            try (ManagedKms kms = KmsFactory.create(config, "test")) {
                Kmses.await(kms.createKek("acme"), T);
                Kmses.await(kms.rotate("local://acme"), T);
                Kmses.await(kms.scheduleDestroy("local://acme", "1", Instant.now().plusSeconds(3600)), T);
                file = Path.of(config.kms().settings(LocalKmsConfig.class).directory()).resolve("acme.kek.json");
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode old = (ObjectNode) json.readTree(file.toFile());
            old.remove("mac"); // as the previous version wrote it
            json.writeValue(file.toFile(), old);

            PipelineIT.Run refused = PipelineIT.run("keys", "status", "--config", sandbox.configFile().toString(), "--tenant", "acme");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains(file.toString()).contains("not authenticated").contains("keys seal-registry");

            PipelineIT.Run sealed = PipelineIT.run("keys", "seal-registry", "--config", sandbox.configFile().toString(),
                    "--principal", "erin");
            assertThat(sealed.code()).as(sealed.err()).isZero();
            assertThat(sealed.out()).contains("sealed " + file).contains("1 registry file(s) sealed")
                    .contains("no dual-control approval recorded: the coordinator will not destroy it");
            PipelineIT.Run again = PipelineIT.run("keys", "seal-registry", "--config", sandbox.configFile().toString());
            assertThat(again.out()).contains("every key registry file is already sealed");

            PipelineIT.Run status = PipelineIT.run("keys", "status", "--config", sandbox.configFile().toString(), "--tenant", "acme");
            assertThat(status.code()).as(status.err()).isZero();
            assertThat(status.out()).contains("DESTROY_SCHEDULED");

            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(config.kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).anyMatch(e -> e.getPrincipal().equals("operator:erin") && "acme".equals(e.getTenant())
                    && String.valueOf(e.getDetail()).contains("sealed the unauthenticated key registry " + file));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
