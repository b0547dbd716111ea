/**
 * The encryptor's implementation: the topology, the segment and key-version processors, the binding and the root
 * that authenticate its buffered state, the anchor that state is checked against, and its meters. Not API: only
 * module {@code encryptor} uses it (qa's {@code ArchitectureTest} checks); what is public here is public for the
 * package root and the module's tests. Other modules use {@link io.strongroom.encryptor.EncryptorService},
 * {@link io.strongroom.encryptor.EncryptorConfig} and {@link io.strongroom.encryptor.TenantKeys}.
 */
package io.strongroom.encryptor.internal;
