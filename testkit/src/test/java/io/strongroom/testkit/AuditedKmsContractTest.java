package io.strongroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.avro.AuditAction;
import io.strongroom.avro.AuditEvent;
import io.strongroom.avro.AuditOutcome;
import io.strongroom.crypto.audit.AuditVerifier;
import io.strongroom.crypto.audit.AuditingKms;
import io.strongroom.crypto.audit.InMemoryAuditTrail;
import io.strongroom.crypto.kms.ManagedKms;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole KMS contract again, through {@link AuditingKms}: after every test, each KMS operation
 * the test called has exactly one audit event, in the same order, and the chain verifies.
 */
class AuditedKmsContractTest extends KmsContract {
    private static final Map<String, AuditAction> ACTIONS = Map.ofEntries(
            Map.entry("createKek", AuditAction.CREATE_KEY), Map.entry("rotate", AuditAction.ROTATE_KEY),
            Map.entry("generateDek", AuditAction.GENERATE_DEK), Map.entry("unwrapDek", AuditAction.UNWRAP_DEK),
            Map.entry("unwrapDekKeyset", AuditAction.UNWRAP_DEK), Map.entry("wrapDek", AuditAction.REWRAP),
            Map.entry("disable", AuditAction.DISABLE_KEY), Map.entry("enable", AuditAction.ENABLE_KEY),
            Map.entry("scheduleDestroy", AuditAction.SCHEDULE_DESTROY), Map.entry("destroy", AuditAction.DESTROY_KEY),
            Map.entry("describe", AuditAction.DESCRIBE_KEY));

    @TempDir Path dir;
    private final InMemoryAuditTrail trail = new InMemoryAuditTrail("contract");
    private final List<AuditAction> called = new ArrayList<>();

    @Override
    protected ManagedKms open(boolean autoCreate) {
        ManagedKms audited = new AuditingKms(TestKms.local(dir, autoCreate), trail, "contract-test");
        return (ManagedKms) Proxy.newProxyInstance(ManagedKms.class.getClassLoader(), new Class<?>[] {ManagedKms.class}, (proxy, method, args) -> {
            AuditAction action = ACTIONS.get(method.getName());
            if (action != null) {
                called.add(action);
            }
            try {
                return method.invoke(audited, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @AfterEach
    void everyOperationHasExactlyOneAuditEvent() {
        List<AuditEvent> events = trail.events();
        assertThat(called).as("the test called KMS operations").isNotEmpty();
        assertThat(events).extracting(AuditEvent::getAction).containsExactlyElementsOf(called);
        assertThat(events).allMatch(e -> e.getPrincipal().equals("contract-test") && e.getKeyId() != null);
        assertThat(events).filteredOn(e -> e.getAction() == AuditAction.GENERATE_DEK && e.getOutcome() == AuditOutcome.SUCCESS)
                .allMatch(e -> e.getSegmentId() != null && e.getTenant() != null && e.getKeyVersion() != null);
        List<AuditVerifier.Positioned> positioned = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            positioned.add(new AuditVerifier.Positioned("memory/" + i, events.get(i)));
        }
        assertThat(AuditVerifier.verify(positioned).problems()).isEmpty();
    }
}
