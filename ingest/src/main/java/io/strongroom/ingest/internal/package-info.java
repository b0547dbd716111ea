/**
 * Ingest's implementation: the topology, the processor that normalizes each CDC record and the Debezium
 * normalizer behind it. Not API: only module {@code ingest} uses it (qa's {@code ArchitectureTest} checks); other
 * modules use {@link io.strongroom.ingest.IngestService}, {@link io.strongroom.ingest.IngestConfig},
 * {@link io.strongroom.ingest.DeadLetterSealer} and {@link io.strongroom.ingest.PayloadDigest}.
 */
package io.strongroom.ingest.internal;
