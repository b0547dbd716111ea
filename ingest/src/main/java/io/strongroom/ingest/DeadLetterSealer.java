package io.strongroom.ingest;

import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.PayloadHeader;
import io.strongroom.avro.RecordHeader;
import io.strongroom.avro.RejectReason;
import io.strongroom.avro.SegmentHeader;
import io.strongroom.avro.SourcePosition;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentCrypto;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.SegmentOpener;
import io.strongroom.crypto.kms.DataKey;
import io.strongroom.crypto.kms.DekContext;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.Kmses;
import io.strongroom.crypto.kms.SystemTenants;
import io.strongroom.crypto.kms.WrappedDek;
import io.strongroom.schemas.AvroSerde;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a rejected record on the DLQ without a plaintext copy: the record (key, value, headers) is
 * sealed as a one-record segment, in the ordinary segment format, under a fresh data key wrapped by
 * the tenant's KEK. Records with no trustworthy tenant (unknown or missing) are sealed under the
 * quarantine tenant's key instead, so an attacker-chosen tenant name never makes the KMS create a key.
 *
 * <p>If the KMS cannot seal, the dead letter keeps only its reference (source position, size,
 * {@link PayloadDigest}: an HMAC under the environment's DLQ digest key, not a bare hash) and
 * {@code strongroom dlq show} reads the payload back from the source topic while its retention
 * allows; the failure is logged. Ingest never stops for it.
 */
public final class DeadLetterSealer {
    /** Tenant whose key seals records that have no known tenant; the coordinator creates its key. */
    public static final String QUARANTINE_TENANT = SystemTenants.QUARANTINE;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSealer.class);
    private static final AvroSerde<DeadLetterPayload> PAYLOAD = AvroSerde.of(DeadLetterPayload.class);

    private final Kms kms;
    private final String environment;
    private final String quarantineTenant;
    private final Duration timeout;
    private final PayloadDigest digest;

    /**
     * @param kms issues the data keys (ingest needs only generate, never unwrap)
     * @param environment bound into every sealed payload
     * @param quarantineTenant tenant whose key seals records without a known tenant
     * @param timeout KMS call timeout
     * @param digest digests each rejected value for its dead letter (this environment's key)
     */
    public DeadLetterSealer(Kms kms, String environment, String quarantineTenant, Duration timeout, PayloadDigest digest) {
        this.kms = kms;
        this.environment = environment;
        this.quarantineTenant = quarantineTenant;
        this.timeout = timeout;
        this.digest = Objects.requireNonNull(digest, "digest");
    }

    /** The digest dead letters record. */
    public PayloadDigest digest() {
        return digest;
    }

    /** The tenant whose key seals a record rejected for {@code reason} whose own tenant is {@code tenant} (null: unknown). */
    private String sealingTenant(RejectReason reason, String tenant) {
        return tenant == null || reason == RejectReason.UNKNOWN_TENANT ? quarantineTenant : tenant;
    }

    /**
     * Seals a rejected record, or returns empty (logged) if the KMS cannot. Ingest's normalize processor calls it for
     * each record it rejects.
     *
     * @param reason why the record was rejected
     * @param recordTenant the record's tenant, null if it could not be resolved (the quarantine tenant's key seals it
     *     then, as it does for {@link RejectReason#UNKNOWN_TENANT})
     * @param source where the record was read
     * @param key the record's key, or null
     * @param value the record's value, or null
     * @param headers the record's headers
     * @param nowMs the time of sealing
     */
    public Optional<ByteBuffer> seal(RejectReason reason, String recordTenant, SourcePosition source, byte[] key,
            byte[] value, List<RecordHeader> headers, long nowMs) {
        String tenant = sealingTenant(reason, recordTenant);
        String segmentId = "dlq-" + UUID.randomUUID();
        DeadLetterPayload payload = DeadLetterPayload.newBuilder()
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setHeaders(headers.stream().map(h -> new PayloadHeader(h.getKey(), h.getValue())).toList())
                .build();
        try {
            DataKey dek = Kmses.await(kms.generateDek(kms.keyIdFor(tenant), new DekContext(environment, tenant, segmentId)), timeout);
            WrappedDek wrapped = dek.wrapped();
            SegmentHeader.Builder header = SegmentHeader.newBuilder()
                    .setSegmentId(segmentId).setFormatVersion(Segment.FORMAT_VERSION).setEnvironment(environment)
                    .setTenant(tenant).setStream(Topics.INGEST_DLQ.name())
                    .setSourceTopic(source.getTopic()).setSourcePartition(source.getPartition())
                    .setFirstOffset(source.getOffset()).setLastOffset(source.getOffset()).setRecordCount(1)
                    .setMinEventTimeMs(source.getTimestampMs()).setMaxEventTimeMs(source.getTimestampMs())
                    .setSealedAtMs(nowMs).setPredecessorSegmentId(null)
                    .setKeyId(wrapped.keyId()).setKeyVersion(wrapped.keyVersion())
                    .setWrappedDek(ByteBuffer.wrap(wrapped.bytes())).setDekAlgorithm(wrapped.algorithm());
            Segment sealed = SegmentCrypto.seal(header, List.of(PAYLOAD.encode(payload)), dek.aead());
            return Optional.of(ByteBuffer.wrap(sealed.toBytes()));
        } catch (RuntimeException e) { // KmsException and anything else: never stop ingest, never drop the letter
            LOG.atError().addKeyValue("topic", source.getTopic()).addKeyValue("partition", source.getPartition())
                    .addKeyValue("offset", source.getOffset()).addKeyValue("tenant", tenant)
                    .log("cannot seal a rejected record under the key of {}, the dead letter keeps only its position "
                            + "and digest (dlq show reads it from the source topic while retention allows): {}", tenant, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Opens a dead letter's sealed payload: unwraps its data key (the KMS audits it), checks the
     * segment and that the value's digest matches the one recorded at rejection.
     *
     * @param where names the dead letter in errors
     * @param digest the environment's DLQ digest
     * @throws IllegalArgumentException if the letter holds no sealed payload
     * @throws SegmentFormatException if the payload was tampered with or does not match
     */
    public static DeadLetterPayload open(String where, DeadLetter letter, Kms kms, Duration timeout, PayloadDigest digest) {
        if (letter.getEncryptedPayload() == null) {
            throw new IllegalArgumentException(where + " holds no sealed payload (the KMS could not seal it at rejection)");
        }
        byte[] bytes = new byte[letter.getEncryptedPayload().remaining()];
        letter.getEncryptedPayload().duplicate().get(bytes);
        Segment segment = Segment.parse(where, bytes);
        SegmentHeader h = segment.header();
        SourcePosition src = letter.getSource();
        if (!h.getStream().equals(Topics.INGEST_DLQ.name()) || !h.getSourceTopic().equals(src.getTopic())
                || h.getSourcePartition() != src.getPartition() || h.getFirstOffset() != src.getOffset()) {
            throw new SegmentFormatException(where + ": the sealed payload belongs to " + h.getSourceTopic() + "/"
                    + h.getSourcePartition() + "/" + h.getFirstOffset() + ", not to this dead letter");
        }
        List<byte[]> records = new SegmentOpener(kms, timeout).open(where, segment);
        if (records.size() != 1) {
            throw new SegmentFormatException(where + ": a sealed payload holds one record, found " + records.size());
        }
        DeadLetterPayload payload = PAYLOAD.decode(where, records.get(0));
        byte[] value = payload.getValue() == null ? new byte[0] : toBytes(payload.getValue());
        if (!digest.matches(value, toBytes(letter.getPayloadSha256()))) {
            throw new SegmentFormatException(where + ": the sealed payload's digest differs from the one recorded at rejection "
                    + "(or the DLQ digest key is not the one ingest used)");
        }
        return payload;
    }

    static byte[] toBytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
