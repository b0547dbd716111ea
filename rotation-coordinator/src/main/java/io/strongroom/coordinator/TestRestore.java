package io.strongroom.coordinator;

import io.strongroom.restore.Verifier;

/**
 * How the coordinator test-restores a tenant's archives: the deployment's {@link Verifier} run (its archive, replicas,
 * trust file, KMS principal), audited as {@code VERIFY}. One {@link Session} per scheduled run, closed after it.
 */
@FunctionalInterface
public interface TestRestore {
    /** Opens what a run needs (its own KMS client, audited under the verify principal). */
    Session open();

    /** One scheduled run's test restores. */
    interface Session extends AutoCloseable {
        /**
         * Test-restores {@code tenant}'s archives.
         *
         * @param sample the fraction of segments decrypted, or null for all
         */
        Verifier.Report verify(String tenant, Double sample);

        @Override
        void close();
    }
}
