/**
 * Restore and verify: read segments back from S3 alone (no Kafka), unwrap their data keys through
 * the KMS, authenticate every header and body, check each (tenant, partition) chain for gaps, and
 * write the change events out (JSONL) or just count them (verify).
 */
package io.strongroom.restore;
