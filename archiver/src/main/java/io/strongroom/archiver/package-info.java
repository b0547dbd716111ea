/**
 * The archiver: writes each sealed segment from {@code strongroom.segments} as one S3 object with
 * a conditional PUT (never overwriting), records it on {@code strongroom.archive.index}, and
 * commits Kafka offsets only once the object is durable. It holds no key that decrypts anything.
 */
package io.strongroom.archiver;
