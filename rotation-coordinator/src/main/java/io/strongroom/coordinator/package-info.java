/**
 * The rotation coordinator (control plane): provisions Strongroom's topics, makes sure every tenant
 * has a key-encryption key, and publishes the state of every key version on the compacted
 * {@code strongroom.keys} topic.
 */
package io.strongroom.coordinator;
