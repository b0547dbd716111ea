package io.strongroom.cli.demo;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strongroom.archive.ArchiveTarget;
import io.strongroom.archive.ChainHeads;
import io.strongroom.archiver.ArchiverService;
import io.strongroom.cli.DlqDigestKey;
import io.strongroom.cli.KmsFactory;
import io.strongroom.cli.ServiceMeters;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.internal.ChainHeadSigner;
import io.strongroom.coordinator.internal.TopicProvisioner;
import io.strongroom.crypto.identity.Role;
import io.strongroom.crypto.identity.SigningIdentity;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.encryptor.EncryptorService;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestService;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.LoggerFactory;

/** Ingest, encryptor and archiver running in this process against one configuration. */
public final class Pipeline implements AutoCloseable {
    private final IngestService ingest;
    private final EncryptorService encryptor;
    private final ArchiverService archiver;
    private final SimpleMeterRegistry encryptorMeters;
    private final ChainHeadSigner heads;
    private final ArchiveTarget headsTarget;
    private final ScheduledExecutorService headsLoop;

    private Pipeline(IngestService ingest, EncryptorService encryptor, ArchiverService archiver,
            SimpleMeterRegistry encryptorMeters, ChainHeadSigner heads,
            ArchiveTarget headsTarget) {
        this.heads = heads;
        this.headsTarget = headsTarget;
        this.headsLoop = heads == null ? null : Executors.newSingleThreadScheduledExecutor(
                r -> new Thread(r, "strongroom-chain-heads"));
        this.ingest = ingest;
        this.encryptor = encryptor;
        this.archiver = archiver;
        this.encryptorMeters = encryptorMeters;
    }

    /**
     * Provisions Strongroom's topics and starts the three data-path services.
     *
     * @param kms the encryptor's KMS (the encryptor sees its data plane; whether a tenant has a key is asked of it here)
     * @param ingestKms ingest's KMS (seals dead letters)
     */
    public static Pipeline start(StrongroomConfig config, ManagedKms kms, Kms ingestKms) {
        try (Admin admin = Admin.create(config.kafka().clientProperties())) {
            TopicProvisioner.ensureTopics(admin, config.kafka().partitions(), config.kafka().replication(),
                    config.encryptor().segmentMaxBytes());
        }
        Path state = Path.of(config.dataDir(), "streams");
        IngestService ingest = IngestService.start(config.ingest(), config.kafka().clientProperties(), state,
                new DeadLetterSealer(ingestKms, config.environment(), DeadLetterSealer.QUARANTINE_TENANT, config.kms().timeout(),
                        DlqDigestKey.load(config)));
        // the encryptor's meters go to the global registry (/metrics) and to one of this pipeline's own, which says why
        // its segments were sealed
        var encryptorMeters = new SimpleMeterRegistry();
        var meters = new CompositeMeterRegistry();
        meters.add(encryptorMeters);
        meters.add(Metrics.globalRegistry);
        EncryptorService encryptor = EncryptorService.start(config.encryptor(), config.environment(), kms,
                KmsFactory.tenantKeys(kms, config.encryptor().kmsTimeout()), config.kafka().clientProperties(),
                state, meters);
        ArchiverService archiver = ArchiverService.start(config.archiver(), config.s3(), config.environment(),
                config.kafka().clientProperties(), config.signingIdentity(Role.ARCHIVER));
        ServiceMeters.archiver(archiver, Metrics.globalRegistry);
        SigningIdentity coordinator = config.signingIdentity(Role.COORDINATOR, kms);
        ArchiveTarget headsTarget = coordinator == null ? null : ArchiveTarget.of(config.s3()); // closed with the signer
        ChainHeadSigner heads = coordinator == null ? null : new ChainHeadSigner(config.kafka().clientProperties(),
                List.of(headsTarget), config.environment(), coordinator, config.trust(),
                config.heads().interval(), null, null, Clock.systemUTC());
        Pipeline pipeline = new Pipeline(ingest, encryptor, archiver, encryptorMeters, heads, headsTarget);
        if (heads != null) { // the coordinator's part the pipeline needs: the chain heads restore and verify check
            long every = config.heads().interval().toMillis();
            pipeline.headsLoop.scheduleWithFixedDelay(pipeline::signQuietly, 0, every, TimeUnit.MILLISECONDS);
        }
        return pipeline;
    }

    /**
     * Signs the chain heads of everything archived so far now, as the coordinator does every {@code heads.interval}.
     *
     * @throws IllegalStateException if there is no coordinator identity
     */
    public synchronized ChainHeads.Stored signChainHeads() {
        if (heads == null) {
            throw new IllegalStateException("no coordinator identity (identity.directory): chain heads are not signed");
        }
        return heads.checkpoint();
    }

    private void signQuietly() {
        try {
            signChainHeads();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Pipeline.class).atWarn().setCause(e).log("chain heads not signed: {}",
                    e.getMessage());
        }
    }

    /** Segments the encryptor sealed, by what sealed them ({@code max-age}, {@code max-records}, {@code key-version} ...). */
    public Map<String, Long> sealReasons() {
        Map<String, Long> reasons = new TreeMap<>();
        encryptorMeters.find("strongroom.encryptor.seals").counters()
                .forEach(c -> reasons.merge(c.getId().getTag("reason"), (long) c.count(), Long::sum));
        return reasons;
    }

    public ArchiverService archiver() {
        return archiver;
    }

    /** Whether every service is still healthy. */
    public String problem() {
        if (ingest.state().hasCompletedShutdown() || ingest.state() == KafkaStreams.State.ERROR) {
            return "ingest stopped (" + ingest.state() + ")";
        }
        if (encryptor.state().hasCompletedShutdown() || encryptor.state() == KafkaStreams.State.ERROR) {
            return "encryptor stopped (" + encryptor.state() + ")";
        }
        return archiver.isRunning() ? null : "archiver stopped";
    }

    @Override
    public void close() {
        if (headsLoop != null) {
            headsLoop.shutdownNow();
            heads.wakeup();
            try {
                headsLoop.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            heads.close();
            headsTarget.close();
        }
        ingest.close();
        encryptor.close();
        archiver.close();
    }
}
