package io.strongroom.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.audit.AuditCheckpoints;
import io.strongroom.crypto.kms.local.LocalKms;
import io.strongroom.testkit.EmbeddedS3;
import io.strongroom.testkit.TestKms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The audit checkpoint chain against an S3 writer (who can put and delete any object, but signs nothing): squatting
 * on the next checkpoint names does not stop the writer, and squatting right after deleting the newest checkpoint
 * does not make the writer forget it — the deletion stays a gap readers name.
 */
class AuditCheckpointStoreIT {
    private static final String ENV = "staging";
    @TempDir Path dir;
    private EmbeddedS3 s3;
    private S3Client client;
    private LocalKms kms;
    private AuditCheckpointStore store;
    private AuditCheckpoints.KeySource keys;

    @BeforeEach
    void start() {
        s3 = EmbeddedS3.start();
        s3.createBucket("archive");
        client = s3.client();
        kms = TestKms.local(dir.resolve("kms"), false);
        keys = AuditCheckpoints.through(kms, ENV, Duration.ofSeconds(10));
        store = new AuditCheckpointStore(new AuditCheckpointStore.Settings(ENV, "archive", null, null, null), client);
    }

    @AfterEach
    void stop() {
        kms.close();
        client.close();
        s3.close();
    }

    private void squat(long sequence) {
        client.putObject(b -> b.bucket("archive").key(ArchiveLayout.auditCheckpointKey(ENV, sequence)),
                RequestBody.fromString("{}", StandardCharsets.UTF_8));
    }

    private AuditCheckpoints.Chain chain() {
        return store.chain(store.verifier(w -> { }));
    }

    @Test
    void theNewestDeletedAndItsSuccessorsNameSquattedIsStillAGap() {
        AuditCheckpoints.Tracker t = new AuditCheckpoints.Tracker();
        AuditCheckpoints.Stored c0 = store.checkpoint(keys, t, null);
        AuditCheckpoints.Stored c1 = store.checkpoint(keys, t, c0);
        assertThat(chain().problems()).isEmpty();

        // the attacker deletes the newest checkpoint and squats on the next name, hoping the writer re-reads the store
        client.deleteObject(b -> b.bucket("archive").key(ArchiveLayout.auditCheckpointKey(ENV, 1)));
        squat(2);

        AuditCheckpoints.Stored c3 = store.checkpoint(keys, t, c1); // the writer remembers c1
        assertThat(c3.body().sequence()).isEqualTo(3);
        assertThat(c3.body().previousSha256()).isEqualTo(c1.sha256());
        assertThat(chain().problems()).anySatisfy(p -> assertThat(p).contains(ArchiveLayout.auditCheckpointKey(ENV, 1)));
    }

    @Test
    void squattedNamesAreSkippedAndAHugeOneDoesNotStopARestartedWriter() {
        AuditCheckpoints.Tracker t = new AuditCheckpoints.Tracker();
        AuditCheckpoints.Stored c0 = store.checkpoint(keys, t, null);
        squat(1);
        squat(2);
        squat(Long.MAX_VALUE);

        AuditCheckpoints.Stored c3 = store.checkpoint(keys, t, c0);
        AuditCheckpoints.Stored afterRestart = store.checkpoint(keys, t, null); // continues after the newest authentic

        assertThat(c3.body().sequence()).isEqualTo(3);
        assertThat(afterRestart.body().sequence()).isEqualTo(4);
        assertThat(afterRestart.body().previousSha256()).isEqualTo(c3.sha256());
        assertThat(chain().problems()).noneSatisfy(p -> assertThat(p).containsAnyOf("deleted", "replaced", "fork"));
    }
}
