/**
 * The audit trail of key use: {@link io.strongroom.crypto.audit.AuditingKms} records every KMS
 * operation; {@link io.strongroom.crypto.audit.HashChain} chains each emitter's events so that a
 * deleted, edited or reordered event is found by {@link io.strongroom.crypto.audit.AuditVerifier}.
 */
package io.strongroom.crypto.audit;
