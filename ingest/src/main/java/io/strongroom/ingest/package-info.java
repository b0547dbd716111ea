/**
 * CDC intake: reads change-data topics (Debezium JSON envelopes), resolves the tenant, classifies,
 * validates, and writes canonical {@link io.strongroom.avro.ChangeEvent}s to
 * {@code strongroom.changes} exactly once. Records it cannot accept go to
 * {@code strongroom.ingest.dlq} with a reason and their source position, never with their payload.
 */
package io.strongroom.ingest;
