package io.strongroom.crypto.audit;

import io.strongroom.crypto.identity.TrustFile;
import io.strongroom.schemas.Topic;
import io.strongroom.schemas.TopicReader;
import io.strongroom.schemas.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;

/** Reading the audit trail back: the topic, a local audit file, each principal's last activity. */
public final class AuditTrailReader {
    private AuditTrailReader() {}

    /**
     * Every event of {@code topic}, with where it was read and the bytes it was written as (its hash covers them: an
     * event written under an older schema version verifies as written).
     *
     * @param kafka the Kafka client properties
     */
    public static List<AuditVerifier.Positioned> read(Map<String, Object> kafka, String topic) {
        List<AuditVerifier.Positioned> events = new ArrayList<>();
        Topic<String, byte[]> audit = new Topic<>(topic, Topics.AUDIT.keySerde(), Serdes.ByteArray());
        var serde = Topics.AUDIT.valueSerde();
        TopicReader.readToEnd(kafka, audit, r -> {
            String where = r.topic() + "/" + r.partition() + "/" + r.offset();
            if (r.value() != null) {
                events.add(new AuditVerifier.Positioned(where, serde.deserializer().deserialize(r.topic(), r.value()), r.value()));
            }
        });
        return events;
    }

    /** Every event of a local audit file, with the bytes it was written as. */
    public static List<AuditVerifier.Positioned> readFile(Path file) throws IOException {
        List<AuditVerifier.Positioned> events = new ArrayList<>();
        var read = FileAuditTrail.readWritten(file);
        for (int i = 0; i < read.size(); i++) {
            events.add(new AuditVerifier.Positioned(file + " event " + (i + 1), read.get(i).event(), read.get(i).bytes()));
        }
        return events;
    }

    /**
     * Each principal's newest event on {@code strongroom.audit}; with a trust file, its newest authentic event only (an
     * event forged in its name does not keep it active).
     *
     * @param trust the keys readers trust, or null to count every event
     */
    public static Map<String, Instant> lastActivity(Map<String, Object> kafka, TrustFile trust) {
        Map<String, Instant> last = new HashMap<>();
        List<AuditVerifier.Positioned> events = read(kafka, Topics.AUDIT.name());
        var authenticity = trust == null ? null : AuditVerifier.verify(events, trust).authenticity();
        for (AuditVerifier.Positioned p : events) {
            if (authenticity != null && !authenticity.isAuthentic(p.position())) {
                continue;
            }
            last.merge(p.event().getPrincipal(), Instant.ofEpochMilli(p.event().getTimestampMs()), (a, b) -> a.isAfter(b) ? a : b);
        }
        return last;
    }
}
