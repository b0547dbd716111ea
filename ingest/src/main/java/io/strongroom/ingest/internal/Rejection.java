package io.strongroom.ingest.internal;

import io.strongroom.avro.RejectReason;

/**
 * Why an input record was not accepted.
 *
 * @param reason the reason code
 * @param detail what was wrong and where in the record; never payload content
 * @param tenant the tenant, if it could be resolved
 */
record Rejection(RejectReason reason, String detail, String tenant) {}
