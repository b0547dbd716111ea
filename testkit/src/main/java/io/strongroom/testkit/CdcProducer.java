package io.strongroom.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Produces generated CDC records to Kafka and reports where each one landed. */
public final class CdcProducer {
    private CdcProducer() {}

    /**
     * Where a generated record landed.
     *
     * @param record the record
     * @param partition its partition
     * @param offset its offset
     */
    public record Produced(CdcRecord record, int partition, long offset) {}

    /** Produces every record (idempotent producer, acks=all) and waits for all of them. */
    public static List<Produced> produce(String bootstrapServers, Iterable<CdcRecord> records) {
        return produce(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), records);
    }

    /** As above, with these client properties (bootstrap servers, and security settings if any). */
    public static List<Produced> produce(Map<String, Object> client, Iterable<CdcRecord> records) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        List<CdcRecord> sent = new ArrayList<>();
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (CdcRecord r : records) {
                ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(r.topic(), null, r.timestampMs(), r.key(), r.value());
                r.headers().forEach(h -> pr.headers().add(h.getKey(), h.getValue()));
                futures.add(producer.send(pr));
                sent.add(r);
            }
            producer.flush();
            List<Produced> produced = new ArrayList<>(sent.size());
            for (int i = 0; i < sent.size(); i++) {
                RecordMetadata md = futures.get(i).get();
                produced.add(new Produced(sent.get(i), md.partition(), md.offset()));
            }
            return produced;
        } catch (ExecutionException e) {
            throw new IllegalStateException("producing CDC records failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing", e);
        }
    }
}
