package io.strongroom.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.ChangeEvent;
import io.strongroom.avro.DeadLetter;
import io.strongroom.avro.DeadLetterPayload;
import io.strongroom.avro.RejectReason;
import io.strongroom.crypto.Segment;
import io.strongroom.crypto.SegmentFormatException;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.crypto.kms.Kms;
import io.strongroom.crypto.kms.ManagedKms;
import io.strongroom.ingest.internal.IngestTopology;
import io.strongroom.schemas.Topics;
import io.strongroom.testkit.TestKms;
import io.strongroom.testkit.TestSecrets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dead letters keep the rejected record sealed under the tenant's key, never in plaintext. */
class DeadLetterSealerTest {
    private static final String CANARY = "CANARY-dlq-7f3a";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final PayloadDigest DIGEST = PayloadDigest.of(
            TestSecrets.DLQ_DIGEST_KEY.getBytes(StandardCharsets.UTF_8), "test");
    @TempDir Path dir;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<String, ChangeEvent> changes;
    private TestOutputTopic<String, DeadLetter> dlq;
    private ManagedKms kms;

    private void start(IngestConfig config, Kms sealingKms) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dlq-test");
        driver = new TopologyTestDriver(IngestTopology.topology(config,
                new DeadLetterSealer(sealingKms, "test", "strongroom-quarantine", TIMEOUT, DIGEST)), props);
        input = driver.createInputTopic("cdc.acme.public.orders", new ByteArraySerializer(), new ByteArraySerializer());
        changes = driver.createOutputTopic(Topics.CHANGES.name(), Topics.CHANGES.keySerde().deserializer(),
                Topics.CHANGES.valueSerde().deserializer());
        dlq = driver.createOutputTopic(Topics.INGEST_DLQ.name(), Topics.INGEST_DLQ.keySerde().deserializer(),
                Topics.INGEST_DLQ.valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
        if (kms != null) {
            kms.close();
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void aRejectedRecordIsSealedUnderItsTenantsKeyAndOpensToTheOriginalBytesWithAnAuditedUnwrap() {
        kms = TestKms.local(dir, true);
        start(IngestConfig.defaults(), kms);
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", b("00-abc-01"));
        byte[] value = b("{\"after\": {\"id\": 1, \"secret\": \"" + CANARY + "\"}, \"op\": ");
        input.pipeInput(new TestRecord<>(b("{\"id\":1}"), value, headers, 1234L));

        DeadLetter letter = dlq.readValue();
        assertThat(letter.getReason()).isEqualTo(RejectReason.UNPARSEABLE);
        byte[] sealed = bytes(letter.getEncryptedPayload());
        assertThat(contains(sealed, b(CANARY))).as("no plaintext in the dead letter").isFalse();
        assertThat(contains(Topics.INGEST_DLQ.valueSerde().serializer().serialize("t", letter), b(CANARY))).isFalse();
        Segment segment = Segment.parse("dlq", sealed);
        assertThat(segment.header().getTenant()).isEqualTo("acme");
        assertThat(segment.header().getKeyId()).isEqualTo(kms.keyIdFor("acme"));

        InMemoryAuditTrail trail = new InMemoryAuditTrail("dlq-cli");
        DeadLetterPayload payload = DeadLetterSealer.open("dlq record", letter, new AuditingKms(kms, trail, "alice"), TIMEOUT, DIGEST);
        assertThat(bytes(payload.getValue())).isEqualTo(value);
        assertThat(bytes(payload.getKey())).isEqualTo(b("{\"id\":1}"));
        assertThat(payload.getHeaders()).singleElement().satisfies(h -> {
            assertThat(h.getKey()).isEqualTo("traceparent");
            assertThat(bytes(h.getValue())).isEqualTo(b("00-abc-01"));
        });
        assertThat(trail.events()).singleElement().satisfies(e -> {
            assertThat(e.getAction()).isEqualTo(AuditAction.UNWRAP_DEK);
            assertThat(e.getPrincipal()).isEqualTo("alice");
            assertThat(e.getSegmentId()).isEqualTo(segment.header().getSegmentId());
        });
    }

    @Test
    void aRecordOfAnUnknownTenantIsSealedUnderTheQuarantineKeyNotUnderAKeyItsNameWouldCreate() throws Exception {
        kms = TestKms.local(dir, true);
        start(new IngestConfig(null, null, null, List.of("globex"), null, null, null, null, null, null, null), kms);
        input.pipeInput(b("{\"id\":1}"), b("{\"after\":{\"id\":1},\"op\":\"c\",\"source\":{\"table\":\"orders\"}}"));

        DeadLetter letter = dlq.readValue();
        assertThat(letter.getReason()).isEqualTo(RejectReason.UNKNOWN_TENANT);
        assertThat(Segment.parse("dlq", bytes(letter.getEncryptedPayload())).header().getTenant())
                .isEqualTo("strongroom-quarantine");
        assertThat(kms.describe(kms.keyIdFor("acme")).toCompletableFuture().handle((v, e) -> e).get())
                .as("no key was created for the unknown tenant").isNotNull();
        assertThat(DeadLetterSealer.open("dlq", letter, kms, TIMEOUT, DIGEST).getValue()).isNotNull();
    }

    @Test
    void aTamperedOrSwappedSealedPayloadIsRefusedNamingTheDeadLetter() {
        kms = TestKms.local(dir, true);
        start(IngestConfig.defaults(), kms);
        input.pipeInput(b("k1"), b("not json one"));
        input.pipeInput(b("k2"), b("not json two"));
        List<DeadLetter> letters = dlq.readValuesToList();
        assertThat(letters).hasSize(2);

        DeadLetter tampered = DeadLetter.newBuilder(letters.get(0)).build();
        byte[] sealed = bytes(tampered.getEncryptedPayload());
        sealed[sealed.length - 20] ^= 1;
        tampered.setEncryptedPayload(ByteBuffer.wrap(sealed));
        assertThatThrownBy(() -> DeadLetterSealer.open("dlq offset 0", tampered, kms, TIMEOUT, DIGEST))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("dlq offset 0");

        DeadLetter swapped = DeadLetter.newBuilder(letters.get(0)).setEncryptedPayload(letters.get(1).getEncryptedPayload()).build();
        assertThatThrownBy(() -> DeadLetterSealer.open("dlq offset 0", swapped, kms, TIMEOUT, DIGEST))
                .isInstanceOf(SegmentFormatException.class).hasMessageContaining("belongs to cdc.acme.public.orders/0/1");
    }

    @Test
    void whenTheKmsCannotSealTheDeadLetterKeepsItsReferenceAndIngestKeepsGoing() {
        kms = TestKms.local(dir, false); // no keys at all: every seal fails
        start(IngestConfig.defaults(), kms);
        input.pipeInput(b("k1"), b("not json"));
        input.pipeInput(b("{\"id\":2}"), b("{\"after\":{\"id\":2},\"op\":\"c\",\"source\":{\"schema\":\"public\",\"table\":\"orders\"}}"));

        DeadLetter letter = dlq.readValue();
        assertThat(letter.getEncryptedPayload()).isNull();
        assertThat(letter.getSource().getOffset()).isZero();
        assertThat(letter.getPayloadSha256().remaining()).isEqualTo(32);
        assertThat(changes.readValuesToList()).hasSize(1);
        assertThatThrownBy(() -> DeadLetterSealer.open("dlq offset 0", letter, kms, TIMEOUT, DIGEST))
                .hasMessageContaining("holds no sealed payload");
    }

    @Test
    void theDeadLetterDigestIsAnHmacUnderTheEnvironmentsKeyNotASha256() throws Exception {
        kms = TestKms.local(dir, false); // no keys: the letter keeps only its reference, the digest is all that links it
        start(IngestConfig.defaults(), kms);
        byte[] payload = b("not json " + CANARY);
        input.pipeInput(b("k1"), payload);
        DeadLetter letter = dlq.readValue();
        byte[] recorded = DeadLetterSealer.toBytes(letter.getPayloadSha256());
        assertThat(recorded).as("a bare SHA-256 lets anyone who reads the DLQ confirm a guessed payload")
                .isNotEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));
        assertThat(recorded).as("the HMAC under this environment's key, stable for the same key").hasSize(32)
                .isEqualTo(DIGEST.of(payload)).isEqualTo(PayloadDigest.of(
                        TestSecrets.DLQ_DIGEST_KEY.getBytes(StandardCharsets.UTF_8), "test").of(payload));
        assertThat(DIGEST.matches(payload, recorded)).isTrue();
        byte[] otherSecret = (TestSecrets.DLQ_DIGEST_KEY + "x").getBytes(StandardCharsets.UTF_8);
        assertThat(PayloadDigest.of(otherSecret, "test").of(payload)).as("another secret").isNotEqualTo(recorded);
        assertThat(PayloadDigest.of(TestSecrets.DLQ_DIGEST_KEY.getBytes(StandardCharsets.UTF_8), "prod")
                .of(payload)).as("another environment").isNotEqualTo(recorded);
        assertThatThrownBy(() -> PayloadDigest.of(new byte[31], "test")).hasMessage("the DLQ digest key must be at least 32 bytes, got 31");
    }
}
