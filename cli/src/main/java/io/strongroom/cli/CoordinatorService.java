package io.strongroom.cli;

import io.micrometer.core.instrument.Metrics;
import io.strongroom.archiver.ArchiveTarget;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.AdminApi;
import io.strongroom.coordinator.DualControl;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.KeyRotator;
import io.strongroom.coordinator.Principals;
import io.strongroom.coordinator.Rewrap;
import io.strongroom.coordinator.TopicProvisioner;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rotation coordinator: every {@code coordinator.check-interval} it provisions topics, creates,
 * rotates and destroys (when approved and due) tenant keys and publishes their states; and, with
 * {@code coordinator.admin-port}, it serves the admin API.
 */
final class CoordinatorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);
    private final AuditingKms kms;
    private final Admin admin;
    private final KafkaProducer<String, io.strongroom.avro.KeyVersionEvent> producer;
    private final ArchiveTarget archive;
    private final KeyRotator rotator;
    private final AdminApi api;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strongroom-coordinator"));
    private final StrongroomConfig config;

    private CoordinatorService(StrongroomConfig c, boolean withApi) throws Exception {
        this.config = c;
        this.kms = KmsFactory.create(c, "coordinator");
        this.admin = Admin.create(c.kafka().clientProperties());
        this.producer = new KafkaProducer<>(c.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(),
                Topics.KEYS.valueSerde().serializer());
        this.archive = ArchiveTarget.of(c.s3());
        KeyPublisher publisher = new KeyPublisher(kms, producer, c.kms().timeout(), "coordinator");
        this.rotator = new KeyRotator(kms, publisher, c.kms().timeout(), c::rotationPolicy, Clock.systemUTC(),
                Metrics.globalRegistry);
        this.api = !withApi || c.coordinator().adminPort() == null ? null : new AdminApi(
                new InetSocketAddress(c.coordinator().adminBind(), c.coordinator().adminPort()), kms, rotator, publisher,
                new Principals(c.coordinator().principals()),
                new DualControl(Path.of(c.dataDir(), "coordinator", "requests.json"), new Principals(c.coordinator().principals()),
                        c.coordinator().approvalWindow()),
                tenant -> Rewrap.references(archive, c.environment(), tenant), c::rotationPolicy,
                c.coordinator().tenants(), c.kms().timeout(), Clock.systemUTC());
    }

    /** Starts the periodic pass (the first at once) and the admin API. */
    static CoordinatorService start(StrongroomConfig c) throws Exception {
        CoordinatorService service = new CoordinatorService(c, true);
        service.loop.scheduleWithFixedDelay(service::passQuietly, 0, c.coordinator().checkInterval().toMillis(), TimeUnit.MILLISECONDS);
        return service;
    }

    /** A coordinator that runs passes only when asked ({@code --once}); no admin API. */
    static CoordinatorService startIdle(StrongroomConfig c) throws Exception {
        return new CoordinatorService(c, false);
    }

    /** One pass: topics, keys. Returns the tenants rotated. */
    List<String> pass() {
        var created = TopicProvisioner.ensureTopics(admin, config.kafka().partitions(), config.kafka().replication(),
                config.encryptor().segmentMaxBytes());
        if (!created.isEmpty()) {
            System.out.println("created topics: " + String.join(", ", created));
        }
        List<String> tenants = new ArrayList<>(config.coordinator().tenants());
        tenants.add(DeadLetterSealer.QUARANTINE_TENANT); // seals what has no usable tenant key
        return rotator.runOnce(tenants);
    }

    private void passQuietly() {
        try {
            List<String> rotated = pass();
            if (!rotated.isEmpty()) {
                System.out.println("rotated: " + String.join(", ", rotated));
            }
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("coordinator pass failed, retrying at the next interval: {}", e.getMessage());
        }
    }

    /** The admin API's port, or -1 without one. */
    int adminPort() {
        return api == null ? -1 : api.port();
    }

    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (api != null) {
            api.close();
        }
        producer.close();
        admin.close();
        archive.close();
        kms.close();
    }
}
