package io.strongroom.anomaly.internal;

import io.strongroom.anomaly.AnomalyConfig;
import io.strongroom.avro.Alert;
import io.strongroom.avro.AlertSeverity;
import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.avro.KeyState;
import io.strongroom.avro.KeyVersionEvent;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Applies every rule to each audit event, in order, with one state per principal (the current window's counts and
 * the principal's usual unwrap volume). Windows are of event time, so a replay finds the same alerts; each rule alerts
 * at most once per principal and window, except a disabled key in use, which alerts every time.
 */
final class AnomalyProcessor implements Processor<String, AuditEvent, String, Alert> {
    /** Weight of the newest window in the usual volume (an exponentially weighted mean). */
    static final double ALPHA = 0.3;
    /** Evidence lines kept per window. */
    static final int EVIDENCE = 10;

    private final AnomalyConfig config;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, PrincipalState> principals;
    private TimestampedKeyValueStore<String, KeyVersionEvent> keys;

    AnomalyProcessor(AnomalyConfig config) {
        this.config = config;
    }

    /**
     * One principal's state.
     *
     * @param windowStartMs start of the current window
     * @param unwraps data keys unwrapped in it
     * @param failures failed or denied key uses in it
     * @param usual the usual unwraps per window (weighted mean of past windows)
     * @param windows past windows seen
     * @param alerted rules that alerted in this window
     * @param evidence the window's failures, newest last
     */
    record PrincipalState(long windowStartMs, long unwraps, long failures, double usual, int windows, Set<String> alerted,
            List<String> evidence) {}

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.principals = context.getStateStore(AnomalyTopology.PRINCIPALS_STORE);
        this.keys = context.getStateStore(AnomalyTopology.KEYS_STORE);
    }

    @Override
    public void process(Record<String, AuditEvent> record) {
        AuditEvent e = record.value();
        if (e == null) {
            return;
        }
        String principal = e.getPrincipal();
        PrincipalState st = roll(principals.get(principal), e.getTimestampMs());
        Set<String> alerted = new HashSet<>(st.alerted());
        List<String> evidence = new ArrayList<>(st.evidence());
        long unwraps = st.unwraps();
        long failures = st.failures();
        boolean success = e.getOutcome() == AuditOutcome.SUCCESS;

        if ((e.getOutcome() == AuditOutcome.DENIED || e.getAction() == AuditAction.ACCESS_DENIED) && alerted.add("access-denied")) {
            emit(e, "access-denied", AlertSeverity.CRITICAL, principal + " was denied " + e.getAction()
                    + (e.getDetail() == null ? "" : ": " + e.getDetail()), List.of(line(e)));
        }
        if (!success) {
            failures++;
            evidence.add(line(e));
            if (evidence.size() > EVIDENCE) {
                evidence.remove(0);
            }
            if (failures >= config.failureThreshold() && alerted.add("repeated-failures")) {
                emit(e, "repeated-failures", AlertSeverity.WARNING, failures + " failed or denied key uses by " + principal
                        + " within " + config.window() + " (threshold " + config.failureThreshold() + ")", evidence);
            }
        }
        if (success && e.getAction() == AuditAction.UNWRAP_DEK) {
            unwraps++;
            double limit = Math.max(config.unwrapMinimum(), config.unwrapFactor() * st.usual());
            if (st.windows() >= config.warmupWindows() && unwraps > limit && alerted.add("unwrap-volume")) {
                emit(e, "unwrap-volume", AlertSeverity.WARNING, principal + " unwrapped " + unwraps + " data keys within "
                        + config.window() + ", usually " + String.format("%.1f", st.usual()) + " per window (limit "
                        + String.format("%.0f", limit) + ")", List.of(line(e)));
            }
            if (!config.expectedUnwrapper(principal) && alerted.add("unexpected-unwrapper")) {
                emit(e, "unexpected-unwrapper", AlertSeverity.CRITICAL, principal + " unwrapped a data key of tenant "
                        + e.getTenant() + " but is not among anomaly.expected-unwrappers " + config.expectedUnwrappers(), List.of(line(e)));
            }
        }
        if (success && (e.getAction() == AuditAction.UNWRAP_DEK || e.getAction() == AuditAction.RESTORE)
                && config.restorePrincipals().contains(principal)) {
            LocalTime at = LocalTime.ofInstant(Instant.ofEpochMilli(e.getTimestampMs()), ZoneOffset.UTC);
            if (!config.restoreAllowedAt(at) && alerted.add("restore-outside-window")) {
                emit(e, "restore-outside-window", AlertSeverity.WARNING, "restore by " + principal + " at " + at
                        + " UTC, outside anomaly.restore-window " + config.restoreWindow(), List.of(line(e)));
            }
        }
        if (success && e.getKeyId() != null && e.getKeyVersion() != null && usesKey(e.getAction())) {
            ValueAndTimestamp<KeyVersionEvent> v = keys.get(e.getKeyId() + "/" + e.getKeyVersion());
            KeyVersionEvent k = v == null ? null : v.value();
            if (k != null && k.getChangedAtMs() <= e.getTimestampMs() && (k.getState() == KeyState.DISABLED
                    || k.getState() == KeyState.DESTROY_SCHEDULED || k.getState() == KeyState.DESTROYED)) {
                emit(e, "disabled-key-used", AlertSeverity.CRITICAL, principal + " used " + e.getKeyId() + " version "
                        + e.getKeyVersion() + " (" + e.getAction() + ") although it is " + k.getState() + " since "
                        + Instant.ofEpochMilli(k.getChangedAtMs()) + " by " + k.getActor(), List.of(line(e)));
            }
        }
        principals.put(principal, new PrincipalState(st.windowStartMs(), unwraps, failures, st.usual(), st.windows(),
                Set.copyOf(alerted), List.copyOf(evidence)));
    }

    private static boolean usesKey(AuditAction a) {
        return a == AuditAction.UNWRAP_DEK || a == AuditAction.GENERATE_DEK || a == AuditAction.REWRAP;
    }

    /** The state for an event at {@code timeMs}: the same window, or the next one with the past folded into the usual. */
    PrincipalState roll(PrincipalState st, long timeMs) {
        long size = config.window().toMillis();
        long start = Math.floorDiv(timeMs, size) * size;
        if (st == null) {
            return new PrincipalState(start, 0, 0, 0.0, 0, Set.of(), List.of());
        }
        if (start <= st.windowStartMs()) {
            return st; // the same window (a late event counts into the current one)
        }
        double usual = st.windows() == 0 ? st.unwraps() : ALPHA * st.unwraps() + (1 - ALPHA) * st.usual();
        long empty = Math.min(100, (start - st.windowStartMs()) / size - 1); // windows without any event
        usual *= Math.pow(1 - ALPHA, empty);
        return new PrincipalState(start, 0, 0, usual, st.windows() + 1 + (int) empty, Set.of(), List.of());
    }

    private void emit(AuditEvent e, String rule, AlertSeverity severity, String summary, List<String> evidence) {
        Alert alert = Alert.newBuilder().setAlertId(e.getEventId() + ":" + rule).setRule(rule).setSeverity(severity)
                .setPrincipal(e.getPrincipal()).setTenant(e.getTenant()).setDetectedAtMs(e.getTimestampMs())
                .setSummary(summary).setEvidence(List.copyOf(evidence)).build();
        context.forward(new Record<>(e.getPrincipal(), alert, e.getTimestampMs()));
    }

    /** One line of evidence: enough to find the event and see what it was. */
    static String line(AuditEvent e) {
        return e.getEmitter() + "/" + e.getSequence() + " event " + e.getEventId() + " at " + Instant.ofEpochMilli(e.getTimestampMs())
                + ": " + e.getPrincipal() + " " + e.getAction() + " " + e.getOutcome()
                + (e.getTenant() == null ? "" : " tenant " + e.getTenant())
                + (e.getKeyId() == null ? "" : " key " + e.getKeyId() + (e.getKeyVersion() == null ? "" : " v" + e.getKeyVersion()))
                + (e.getDetail() == null ? "" : " (" + e.getDetail() + ")");
    }
}
