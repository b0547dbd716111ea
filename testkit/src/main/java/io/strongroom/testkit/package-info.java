/**
 * Real parts for tests and the demo: an in-JVM KRaft Kafka broker ({@link EmbeddedKafka}), an
 * in-process S3 server ({@link EmbeddedS3}), and a synthetic Debezium-format CDC generator
 * ({@link CdcGenerator}).
 */
package io.strongroom.testkit;
