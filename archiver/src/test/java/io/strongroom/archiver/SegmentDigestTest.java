package io.strongroom.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.Segment;
import io.strongroom.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The digest the archiver records: the encryptor's when the record carries one, else its own. */
class SegmentDigestTest {
    private static final byte[] BYTES = "a sealed segment, as far as this test cares".getBytes(StandardCharsets.UTF_8);

    private static ConsumerRecord<String, ByteBuffer> record(byte[] header) {
        RecordHeaders headers = new RecordHeaders();
        if (header != null) {
            headers.add(Topics.SEGMENT_SHA256_HEADER, header);
        }
        byte[] fetched = new byte[BYTES.length + 16];
        System.arraycopy(BYTES, 0, fetched, 8, BYTES.length);
        return new ConsumerRecord<>(Topics.SEGMENTS.name(), 0, 42, 0L, TimestampType.CREATE_TIME, 0, BYTES.length,
                "acme/0", ByteBuffer.wrap(fetched, 8, BYTES.length), headers, Optional.empty());
    }

    @Test
    void theEncryptorsDigestIsUsedAsItIs() {
        byte[] declared = new byte[32];
        declared[0] = 7; // not the digest of BYTES: proves it is taken, not recomputed

        assertThat(ArchiverService.sha256(record(declared))).isEqualTo(declared);
    }

    @Test
    void withoutOneTheArchiverComputesItFromTheValueInPlace() {
        assertThat(ArchiverService.sha256(record(null))).isEqualTo(Segment.sha256(BYTES));
    }

    @Test
    void aHeaderThatIsNotADigestIsIgnored() {
        assertThat(ArchiverService.sha256(record(new byte[] {1, 2, 3}))).isEqualTo(Segment.sha256(BYTES));
    }
}
