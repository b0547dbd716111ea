/**
 * The rotation coordinator (control plane). {@link io.strongroom.coordinator.CoordinatorService} is the service: it
 * provisions Strongroom's topics, makes sure every tenant has a key-encryption key, rotates it on policy and publishes
 * the state of every key version on the compacted {@code strongroom.keys} topic; on schedules it test-restores the
 * archives, signs the archive's chain heads and the audit trail's checkpoints, reviews admin access and serves the
 * admin API. The operator jobs the command line runs are here too: {@link io.strongroom.coordinator.KeyRotator},
 * {@link io.strongroom.coordinator.Rewrap}, {@link io.strongroom.coordinator.AccessReview},
 * {@link io.strongroom.coordinator.ServiceKeys}. Settings: {@link io.strongroom.coordinator.CoordinatorConfig}.
 * Implementation is in {@code io.strongroom.coordinator.internal}, which is not API.
 */
package io.strongroom.coordinator;
