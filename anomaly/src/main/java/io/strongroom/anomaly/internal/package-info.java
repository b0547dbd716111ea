/**
 * The anomaly detector's implementation: the topology and the processor that applies the rules. Not API: only
 * module {@code anomaly} uses it (qa's {@code ArchitectureTest} checks); other modules use
 * {@link io.strongroom.anomaly.AnomalyService} and {@link io.strongroom.anomaly.AnomalyConfig}.
 */
package io.strongroom.anomaly.internal;
