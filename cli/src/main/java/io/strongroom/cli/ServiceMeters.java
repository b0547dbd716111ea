package io.strongroom.cli;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.strongroom.archiver.ArchiverService;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Meters of services that keep plain counts (the archiver module depends on no metrics library). */
public final class ServiceMeters {
    /** Services with meters: Micrometer holds them weakly, and a scrape after they were collected would lack them. */
    private static final Set<Object> METERED = ConcurrentHashMap.newKeySet();

    private ServiceMeters() {}

    /** The archiver's counts: segments archived (durable, in a manifest, committed), their events, target misses. */
    public static void archiver(ArchiverService service, MeterRegistry registry) {
        METERED.add(service);
        FunctionCounter.builder("strongroom.archiver.segments.archived", service, ArchiverService::segmentsArchived)
                .description("Segments durable on enough targets, listed in a manifest and committed").register(registry);
        FunctionCounter.builder("strongroom.archiver.records.archived", service, ArchiverService::recordsArchived)
                .description("Change events in those segments").register(registry);
        FunctionCounter.builder("strongroom.archiver.target.misses", service, ArchiverService::targetMisses)
                .description("Segments written to fewer than all targets (strongroom archive repair fills them in)")
                .register(registry);
    }
}
