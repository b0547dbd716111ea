/**
 * Restore's implementation: the chain check, the JSON form of a change event and the PostgreSQL column types a
 * restore creates. Not API: only module {@code restore} uses it (qa's {@code ArchitectureTest} checks); other
 * modules use the jobs and sinks at the package root ({@link io.strongroom.restore.RestoreJob},
 * {@link io.strongroom.restore.Verifier}, {@link io.strongroom.restore.ArchiveReader} and the others).
 */
package io.strongroom.restore.internal;
