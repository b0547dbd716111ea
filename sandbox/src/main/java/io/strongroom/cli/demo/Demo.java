package io.strongroom.cli.demo;

import io.strongroom.avro.KeyVersionEvent;
import io.strongroom.cli.KmsFactory;
import io.strongroom.cli.config.StrongroomConfig;
import io.strongroom.coordinator.KeyPublisher;
import io.strongroom.coordinator.internal.TopicProvisioner;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.restore.ArchiveReader;
import io.strongroom.restore.RestoreJob;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.CdcGenerator;
import io.strongroom.testkit.CdcProducer;
import io.strongroom.testkit.CdcProducer.Produced;
import io.strongroom.testkit.CdcRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The end-to-end run behind {@code strongroom demo}: generate CDC events for several tenants (plus
 * one malformed record), run ingest → encryptor → archiver, restore everything from S3 alone, and
 * compare with what was generated.
 */
public final class Demo {
    /** Tenant names, taken in order. */
    public static final List<String> TENANTS = List.of("acme", "globex", "initech", "umbrella", "hooli", "stark",
            "wayne", "wonka", "tyrell", "cyberdyne");

    private Demo() {}

    /**
     * What to run.
     *
     * @param events CDC records to generate (tombstones included)
     * @param tenants number of tenants (1..10)
     * @param seed generator seed
     * @param timeout how long to wait for everything to be archived
     */
    public record Options(int events, int tenants, long seed, Duration timeout) {
        public Options {
            if (events < 1 || events > 10_000_000) {
                throw new IllegalArgumentException("--events must be between 1 and 10000000, got " + events);
            }
            if (tenants < 1 || tenants > TENANTS.size()) {
                throw new IllegalArgumentException("--tenants must be between 1 and " + TENANTS.size() + ", got " + tenants);
            }
        }
    }

    /**
     * What happened.
     *
     * @param eventsIn valid CDC records produced
     * @param tenants tenants
     * @param segments segments restored
     * @param bytesArchived bytes of segment objects
     * @param deadLetters records on the DLQ, each described
     * @param comparison restore vs. generated
     * @param restoreProblems problems the restore reported
     * @param canaryObjects archive objects containing the canary (must be empty)
     * @param restoreFile the JSONL restore
     * @param elapsed wall time
     * @param sealReasons segments the encryptor sealed, by what sealed them
     * @param segmentMaxRecords the encryptor's segment-max-records
     * @param segmentMaxAge the encryptor's segment-max-age
     * @param partitions partitions of strongroom.changes
     */
    public record Result(long eventsIn, int tenants, int segments, long bytesArchived, List<String> deadLetters,
            RestoreComparison comparison, List<String> restoreProblems, List<String> canaryObjects, Path restoreFile,
            Duration elapsed, Map<String, Long> sealReasons, int segmentMaxRecords, Duration segmentMaxAge, int partitions) {
        public boolean ok() {
            return comparison.matches() && restoreProblems.isEmpty() && canaryObjects.isEmpty() && deadLetters.size() == 1;
        }
    }

    /** Runs the demo against a started sandbox, reporting progress on {@code log}. */
    public static Result run(Sandbox sandbox, Options options, PrintStream log) {
        long start = System.nanoTime();
        StrongroomConfig config = sandbox.config();
        List<String> tenants = TENANTS.subList(0, options.tenants());
        CdcGenerator generator = new CdcGenerator(new CdcGenerator.Options(options.seed(), tenants, options.events(),
                CdcGenerator.DEFAULT_CANARY, 0.05, false, true, "cdc"));

        try (Admin admin = sandbox.kafka().admin()) {
            TopicProvisioner.ensureTopics(admin, config.kafka().partitions(), config.kafka().replication(),
                    config.encryptor().segmentMaxBytes());
            sandbox.kafka().createTopics(config.kafka().partitions(), generator.topics().toArray(String[]::new));
        }
        try (ManagedKms kms = KmsFactory.create(config, "coordinator");
                KafkaProducer<String, KeyVersionEvent> keys = new KafkaProducer<>(
                        config.kafka().clientProperties(), Topics.KEYS.keySerde().serializer(), Topics.KEYS.valueSerde().serializer())) {
            new KeyPublisher(kms, keys, config.kms().timeout(), "coordinator").ensure(tenants);
        }
        log.printf("generating %,d CDC events for %d tenants (%s)%n", options.events(), tenants.size(), String.join(", ", tenants));
        List<CdcRecord> records = generator.generate();
        List<Produced> produced = new ArrayList<>();
        Map<String, Long> sealReasons;
        try (ManagedKms kms = KmsFactory.create(config, "encryptor"); Kms ingestKms = KmsFactory.create(config, "ingest");
                Pipeline pipeline = Pipeline.start(config, kms, ingestKms)) {
            // one producer, one burst, the malformed record half-way: each tenant's events of a partition then reach the
            // encryptor within one segment-max-age, so that the same seed gives the same segments
            CdcRecord bad = malformed(tenants.get(0));
            List<CdcRecord> all = new ArrayList<>(records.subList(0, records.size() / 2));
            all.add(bad);
            all.addAll(records.subList(records.size() / 2, records.size()));
            CdcProducer.produce(config.kafka().clientProperties(), all).stream().filter(p -> p.record() != bad)
                    .forEach(produced::add);
            log.printf("produced %,d events (+1 malformed) in %.1f s; waiting for the pipeline to archive them%n",
                    produced.size(), (System.nanoTime() - start) / 1e9);
            awaitArchived(pipeline, produced.size(), options.timeout(), log);
            if (config.identity().directory() != null) { // what the coordinator does every heads.interval, now
                var heads = pipeline.signChainHeads();
                log.printf("signed the heads of %d chains (checkpoint %d) as the coordinator%n",
                        heads.checkpoint().heads().size(), heads.checkpoint().sequence());
            }
            sealReasons = pipeline.sealReasons();
        }
        List<String> deadLetters = deadLetters(config);

        Path restoreFile = sandbox.dir().resolve("restore").resolve("events.jsonl");
        RestoreJob.Result restore;
        try (Kms kms = KmsFactory.create(config, "restore"); S3Client s3 = config.s3().client()) {
            ArchiveReader reader = new ArchiveReader(s3, config.s3().bucket(), kms, config.kms().timeout(), config.trust());
            restore = RestoreJob.run(reader, new RestoreJob.Options(config.environment(), null, null, restoreFile,
                    config.restore().parallelism()), (done, total, events) -> { });
        }
        log.println(restore.authenticity(Instant.now()));
        RestoreComparison comparison = RestoreComparison.compare(produced, restoreFile);
        List<String> canary = objectsContaining(sandbox.s3().directory().resolve(Sandbox.BUCKET), CdcGenerator.DEFAULT_CANARY);
        return new Result(produced.size(), tenants.size(), restore.segments(), restore.bytes(), deadLetters, comparison,
                restore.problems(), canary, restoreFile, Duration.ofNanos(System.nanoTime() - start), sealReasons,
                config.encryptor().segmentMaxRecords(), config.encryptor().segmentMaxAge(), config.kafka().partitions());
    }

    /** A broken Debezium envelope (truncated JSON) carrying the canary, on the first tenant's orders topic. */
    /** The malformed record the demo plants between the good ones (its value holds the canary). */
    public static CdcRecord malformed(String tenant) {
        String topic = CdcGenerator.topic("cdc", tenant, "orders");
        byte[] value = ("{\"before\":null,\"after\":{\"id\":999,\"notes\":\"" + CdcGenerator.DEFAULT_CANARY + "\"")
                .getBytes(StandardCharsets.UTF_8);
        return new CdcRecord(topic, tenant, "orders", "c", "{\"id\":999}".getBytes(StandardCharsets.UTF_8), value,
                List.of(), System.currentTimeMillis());
    }

    private static void awaitArchived(Pipeline pipeline, long expected, Duration timeout, PrintStream log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastReport = 0;
        while (pipeline.archiver().recordsArchived() < expected) {
            String problem = pipeline.problem();
            if (problem != null) {
                throw new IllegalStateException("pipeline failed: " + problem + " (see the log above)");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + pipeline.archiver().recordsArchived() + " of " + expected
                        + " events archived after " + timeout.toSeconds() + " s");
            }
            if (System.nanoTime() - lastReport > 2_000_000_000L) {
                log.printf("  archived %,d / %,d events in %d segments%n", pipeline.archiver().recordsArchived(), expected,
                        pipeline.archiver().segmentsArchived());
                lastReport = System.nanoTime();
            }
            try {
                Thread.sleep(100); // polling the archiver's counter
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** Every record on the DLQ, as "REASON at topic/partition/offset: detail". */
    static List<String> deadLetters(StrongroomConfig config) {
        List<String> letters = new ArrayList<>();
        TopicReader.readToEnd(config.kafka().clientProperties(), Topics.INGEST_DLQ, r -> letters.add(r.value().getReason()
                + " at " + r.value().getSource().getTopic() + "/" + r.value().getSource().getPartition() + "/"
                + r.value().getSource().getOffset() + ": " + r.value().getDetail()));
        return letters;
    }

    /** Files under {@code dir} whose bytes contain {@code needle}. */
    public static List<String> objectsContaining(Path dir, String needle) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> new String(read(f), StandardCharsets.ISO_8859_1).contains(needle)) // bytes as chars 1:1
                    .map(Path::toString).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    /**
     * Why the segments are as many as they are: one is open per tenant and partition of strongroom.changes, and is
     * sealed when it is full, when it is as old as segment-max-age, or when its tenant's key version changes.
     */
    static String sealedBecause(Result r) {
        List<String> parts = new ArrayList<>();
        long full = r.sealReasons().getOrDefault("max-records", 0L) + r.sealReasons().getOrDefault("max-bytes", 0L);
        long aged = r.sealReasons().getOrDefault("max-age", 0L);
        parts.add(String.format("%,d full (%,d records)", full, r.segmentMaxRecords()));
        parts.add(String.format("%,d at their max age (%s)", aged, r.segmentMaxAge().toString().substring(2).toLowerCase()));
        r.sealReasons().forEach((reason, n) -> {
            if (!List.of("max-records", "max-bytes", "max-age").contains(reason)) {
                parts.add(String.format("%,d by %s", n, reason));
            }
        });
        String why = "sealed: " + String.join(", ", parts) + "; one segment is open per tenant and partition";
        long chains = (long) r.tenants() * r.partitions();
        if (aged > chains) { // at most one segment of each tenant and partition ends by age when its events come in one burst
            why += String.format("%n                     (%,d more aged than the %,d tenant-partitions: their events took over %s to reach "
                    + "the encryptor, e.g. on a busy machine)", aged - chains, chains,
                    r.segmentMaxAge().toString().substring(2).toLowerCase());
        }
        return why;
    }

    /** Prints the summary. */
    public static void printSummary(Result r, PrintStream out) {
        out.println();
        out.println("Strongroom demo summary");
        out.printf("  events in          %,d across %d tenants (+1 malformed record)%n", r.eventsIn(), r.tenants());
        out.printf("  segments archived  %,d (%,d bytes of ciphertext)%n", r.segments(), r.bytesArchived());
        out.printf("                     %s%n", sealedBecause(r));
        out.printf("  dead letters       %d%s%n", r.deadLetters().size(),
                r.deadLetters().isEmpty() ? "" : " (" + r.deadLetters().get(0) + ")");
        out.printf("  restored           %,d events from S3 alone%n", r.comparison().restored());
        out.printf("  canary in archive  %s%n", r.canaryObjects().isEmpty() ? "no" : "YES: " + r.canaryObjects());
        out.printf("  restore match      %s%n", r.comparison().matches() && r.restoreProblems().isEmpty() ? "yes" : "NO");
        if (!r.comparison().matches()) {
            out.printf("                     missing %d, duplicated %d, unexpected %d, mismatched %d, out of order %d; e.g. %s%n",
                    r.comparison().missing(), r.comparison().duplicates(), r.comparison().unexpected(),
                    r.comparison().mismatched(), r.comparison().outOfOrder(), r.comparison().examples());
        }
        r.restoreProblems().forEach(p -> out.println("  restore problem    " + p));
        out.printf("  elapsed            %.1f s%n", r.elapsed().toMillis() / 1000.0);
    }

}
