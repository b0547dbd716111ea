/**
 * The encryptor: a Kafka Streams application (exactly-once) that seals change events into
 * segments per (tenant, input partition), each under its own data key, and writes them to
 * {@code strongroom.segments}. Records waiting in an open segment are stored already encrypted,
 * so changelog topics never hold plaintext.
 */
package io.strongroom.encryptor;
