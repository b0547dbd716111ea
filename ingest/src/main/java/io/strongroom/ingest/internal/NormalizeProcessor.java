package io.strongroom.ingest.internal;

import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.RecordHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.ingest.DeadLetterSealer;
import io.strongroom.ingest.IngestConfig;
import io.strongroom.ingest.PayloadDigest;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Normalizes each CDC record, forwarding to the {@code changes} or the {@code dlq} sink.
 *
 * <p>Output records are stamped with the time of processing, not the source record's timestamp
 * (which travels inside the event as {@code source.timestampMs}): a snapshot of old rows would
 * otherwise carry old timestamps onto {@code strongroom.changes}, where time-based retention
 * could delete them before the encryptor reads them.
 */
final class NormalizeProcessor implements Processor<byte[], byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(NormalizeProcessor.class);

    private final DebeziumNormalizer normalizer;
    private final String applicationId;
    private final DeadLetterSealer sealer;
    private final PayloadDigest digest;
    private ProcessorContext<String, byte[]> context;

    NormalizeProcessor(IngestConfig config, DeadLetterSealer sealer) {
        this.normalizer = new DebeziumNormalizer(config);
        this.applicationId = config.applicationId();
        this.sealer = sealer;
        this.digest = sealer != null ? sealer.digest() : ephemeralDigest(applicationId); // without a sealer: tests only
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElseThrow();
        SourcePosition source = new SourcePosition(md.topic(), md.partition(), md.offset(), record.timestamp());
        List<RecordHeader> headers = headers(record);
        Object outcome = normalizer.normalize(source, record.key(), record.value(), headers);
        if (outcome instanceof DebeziumNormalizer.Accepted accepted) {
            context.forward(new Record<>(accepted.key(), Topics.CHANGES.valueSerde().serializer()
                    .serialize(Topics.CHANGES.name(), accepted.event()), context.currentSystemTimeMs()), IngestTopology.CHANGES_SINK);
            return;
        }
        Rejection rejection = (Rejection) outcome;
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        DeadLetter letter = DeadLetter.newBuilder()
                .setReason(rejection.reason())
                .setDetail(rejection.detail())
                .setSource(source)
                .setTenant(rejection.tenant())
                .setPayloadSizeBytes(payload.length)
                .setPayloadSha256(ByteBuffer.wrap(digest.of(payload))) // an HMAC, despite the field's name
                .setRejectedAtMs(context.currentSystemTimeMs())
                .setApplication(applicationId)
                .setEncryptedPayload(sealer == null ? null
                        : sealer.seal(rejection.reason(), rejection.tenant(), source, record.key(), record.value(), headers,
                                context.currentSystemTimeMs()).orElse(null))
                .build();
        String key = md.topic() + "/" + md.partition() + "/" + md.offset();
        LOG.atWarn().addKeyValue("topic", md.topic()).addKeyValue("partition", md.partition())
                .addKeyValue("offset", md.offset()).addKeyValue("reason", rejection.reason())
                .log("rejected CDC record sent to {}: {}", Topics.INGEST_DLQ.name(), rejection.detail());
        context.forward(new Record<>(key, Topics.INGEST_DLQ.valueSerde().serializer()
                .serialize(Topics.INGEST_DLQ.name(), letter), context.currentSystemTimeMs()), IngestTopology.DLQ_SINK);
    }

    /** A digest under a random key of this process: for topologies without a sealer (tests); nobody can check it later. */
    private static PayloadDigest ephemeralDigest(String applicationId) {
        byte[] secret = new byte[PayloadDigest.MIN_SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        return PayloadDigest.of(secret, applicationId);
    }

    private static List<RecordHeader> headers(Record<byte[], byte[]> record) {
        List<RecordHeader> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            headers.add(new RecordHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
        }
        return headers;
    }
}
