package io.strongroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.archive.CatalogSignatures;
import io.strongroom.archive.Manifests;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.cli.demo.Demo;
import io.strongroom.cli.demo.Sandbox;
import io.strongroom.crypto.Segment;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.Dirs;
import io.strongroom.testkit.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Rewrap moves every segment off version 1 without touching a body; then version 1 can be disabled and restores work. */
class RewrapIT {

    private static Map<String, Segment> segments(Sandbox sandbox) {
        Map<String, Segment> out = new TreeMap<>();
        try (S3Client s3 = sandbox.config().s3().client()) {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/")).contents()) {
                if (o.key().endsWith(".srseg")) {
                    out.put(o.key(), Segment.parse(o.key(), s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(o.key())).asByteArray()));
                }
            }
        }
        return out;
    }

    /** The manifest entry of each segment the restore would use (the one rewrapped last). */
    private static Map<String, Manifests.Entry> currentEntries(Sandbox sandbox) {
        Map<String, Manifests.Entry> out = new TreeMap<>();
        try (S3Client s3 = sandbox.config().s3().client()) {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(Sandbox.BUCKET).prefix("demo/acme/_manifests/")).contents()) {
                Manifests.decode(o.key(), CatalogSignatures.open(o.key(), o.key(),
                        s3.getObjectAsBytes(b -> b.bucket(Sandbox.BUCKET).key(o.key())).asByteArray(), sandbox.config().trust()))
                        .segments().forEach(e -> out.merge(e.objectKey(), e, Manifests::newer));
            }
        }
        return out;
    }

    @Test
    void rewrapMovesEverySegmentOffV1WithBodiesUnchangedThenV1IsDisabledAndRestoresStillWork() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-rewrap-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(800, 1, 9, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            Path before = dir.resolve("before.jsonl");
            assertThat(PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + before).code()).isZero();
            Map<String, Segment> original = segments(sandbox);
            assertThat(original.values()).isNotEmpty().allMatch(s -> s.header().getKeyVersion().equals("1"));

            PipelineIT.Run rotate = PipelineIT.run("keys", "rotate", "--config", cfg, "--tenant", "acme", "--principal", "ops");
            assertThat(rotate.code()).as(rotate.err()).isZero();
            assertThat(rotate.out()).contains("version 2 is primary");

            PipelineIT.Run refused = PipelineIT.run("keys", "disable", "--config", cfg, "--tenant", "acme", "--version", "1");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("refused: " + original.size() + " archived segments of tenant acme still need")
                    .contains("strongroom keys rewrap --tenant acme");

            PipelineIT.Run rewrap = PipelineIT.run("keys", "rewrap", "--config", cfg, "--tenant", "acme", "--principal", "ops");
            assertThat(rewrap.code()).as(rewrap.err()).isZero();
            assertThat(rewrap.out()).contains(original.size() + " segments, " + original.size() + " rewrapped");
            assertThat(rewrap.err()).as("progress").contains("rewrap acme");
            Map<String, Segment> after = segments(sandbox);
            assertThat(after.keySet()).isEqualTo(original.keySet());
            after.forEach((key, s) -> assertThat(s.toBytes()).as("object unchanged, byte for byte: " + key)
                    .isEqualTo(original.get(key).toBytes()));
            Map<String, Manifests.Entry> entries = currentEntries(sandbox);
            assertThat(entries.keySet()).isEqualTo(original.keySet());
            entries.forEach((key, e) -> {
                assertThat(e.keyVersion()).as(key).isEqualTo("2");
                assertThat(e.wrappedDekBytes()).as("a new wrapped key: " + key).isNotEqualTo(original.get(key).wrappedDek().bytes());
            });
            PipelineIT.Run again = PipelineIT.run("keys", "rewrap", "--config", cfg, "--tenant", "acme");
            assertThat(again.out()).as("resumable: nothing left").contains("0 rewrapped, " + original.size() + " already under");

            // --rewrite-objects puts the key the manifests have into each header: bodies unchanged, no KMS call needed
            PipelineIT.Run rewrite = PipelineIT.run("keys", "rewrap", "--config", cfg, "--tenant", "acme", "--rewrite-objects");
            assertThat(rewrite.code()).as(rewrite.err()).isZero();
            assertThat(rewrite.out()).contains(original.size() + " rewrapped");
            Map<String, Manifests.Entry> current = currentEntries(sandbox);
            segments(sandbox).forEach((key, s) -> {
                assertThat(s.header().getKeyVersion()).as(key).isEqualTo("2");
                assertThat(s.body()).as("body ciphertext unchanged: " + key).isEqualTo(original.get(key).body());
                assertThat(s.wrappedDek().bytes()).as(key).isEqualTo(entries.get(key).wrappedDekBytes());
                assertThat(current.get(key).sha256()).as("the manifest follows the rewritten object")
                        .isEqualTo(HexFormat.of().formatHex(Segment.sha256(s.toBytes())));
            });

            PipelineIT.Run disable = PipelineIT.run("keys", "disable", "--config", cfg, "--tenant", "acme", "--version", "1");
            assertThat(disable.code()).as(disable.err()).isZero();
            PipelineIT.Run status = PipelineIT.run("keys", "list", "--config", cfg, "--tenant", "acme");
            assertThat(status.out()).containsPattern("version 1 +DISABLED +segments 0")
                    .containsPattern("version 2 +PRIMARY +segments " + original.size());

            Path afterRestore = dir.resolve("after.jsonl");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + afterRestore);
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(Files.readAllLines(afterRestore)).isEqualTo(Files.readAllLines(before));

            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).filteredOn(e -> e.getAction() == AuditAction.REWRAP && e.getPrincipal().equals("operator:ops"))
                    .hasSize(original.size()); // the second run re-used the keys the first one wrapped
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    @Test
    void compromisedLeavesNoArchiveNeedingTheVersionDisablesItAndEveryArchiveStillRestores() throws Exception {
        Path dir = Files.createTempDirectory("strongroom-compromise-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(500, 1, 13, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            int count = segments(sandbox).size();
            PipelineIT.Run incident = PipelineIT.run("keys", "compromised", "--config", cfg, "--tenant", "acme", "--version", "1",
                    "--reason", "key file found on a laptop", "--principal", "ciso");
            assertThat(incident.code()).as(incident.out() + incident.err()).isZero();
            assertThat(incident.out()).contains("1/4 new primary: version 2").contains("2/4 rewrapped " + count + " of " + count)
                    .contains("3/4 version 1 disabled").contains("4/4 verify: " + count + " segments")
                    .contains("all decryptable without version 1");
            assertThat(segments(sandbox).values()).allMatch(s -> s.header().getKeyVersion().equals("2"));
            List<AuditEvent> audit = new ArrayList<>();
            TopicReader.readToEnd(sandbox.config().kafka().clientProperties(), Topics.AUDIT, r -> audit.add(r.value()));
            assertThat(audit).filteredOn(e -> e.getPrincipal().equals("operator:ciso") && e.getDetail() != null)
                    .extracting(AuditEvent::getDetail)
                    .anyMatch(d -> d.startsWith("INCIDENT opened") && d.contains("key file found on a laptop"))
                    .anyMatch(d -> d.startsWith("INCIDENT contained"));
            assertThat(audit).anyMatch(e -> e.getAction() == AuditAction.DISABLE_KEY && e.getPrincipal().equals("operator:ciso"));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }

    @Test
    void aMigrationFromLocalToPkcs11LeavesEveryArchiveRestorableWithTheLocalKeysRemoved() throws Exception {
        SoftHsm.requireAvailable();
        int slot = SoftHsm.token();
        Path dir = Files.createTempDirectory("strongroom-migration-it-");
        try (Sandbox sandbox = Sandbox.start(dir, "PT1S")) {
            assertThat(Demo.run(sandbox, new Demo.Options(500, 1, 17, Duration.ofMinutes(3)), System.out).ok()).isTrue();
            String cfg = sandbox.configFile().toString();
            Path before = dir.resolve("before.jsonl");
            assertThat(PipelineIT.run("restore", "--config", cfg, "--tenant", "acme", "--to-target", "jsonl:" + before).code()).isZero();
            Path pin = dir.resolve("pin");
            Files.writeString(pin, SoftHsm.PIN);
            String yaml = Files.readString(sandbox.configFile());
            String hsm = yaml.replaceAll("(?s)kms:\n  type: local\n  local:\n(    .*\n)+", "kms:\n  type: pkcs11\n  pkcs11:\n"
                    + "    library: " + SoftHsm.LIBRARY + "\n    slot-list-index: " + slot + "\n"
                    + "    pin-file: " + pin + "\n    directory: " + dir.resolve("kms-pkcs11") + "\n    auto-create: true\n");
            assertThat(hsm).contains("type: pkcs11").doesNotContain("passphrase-file");
            Path hsmConfig = dir.resolve("pkcs11.yaml");
            Files.writeString(hsmConfig, hsm);

            PipelineIT.Run migrate = PipelineIT.run("keys", "rewrap", "--config", cfg, "--tenant", "acme", "--target-config",
                    hsmConfig.toString(), "--principal", "ops");
            assertThat(migrate.code()).as(migrate.err()).isZero();
            assertThat(currentEntries(sandbox).values()).isNotEmpty().allMatch(e -> e.keyId().equals("pkcs11://acme"));
            assertThat(segments(sandbox).values()).as("objects untouched").allMatch(s -> s.header().getKeyId().startsWith("local://"));

            Dirs.deleteRecursively(dir.resolve("kms")); // the local keys are gone
            Path after = dir.resolve("after.jsonl");
            PipelineIT.Run restore = PipelineIT.run("restore", "--config", hsmConfig.toString(), "--tenant", "acme",
                    "--to-target", "jsonl:" + after);
            assertThat(restore.code()).as(restore.err()).isZero();
            assertThat(Files.readAllLines(after)).isEqualTo(Files.readAllLines(before));
        } finally {
            Dirs.deleteRecursively(dir);
        }
    }
}
