/**
 * The end-to-end demo: embedded Kafka, S3 and a local KMS, the whole pipeline in one process, a
 * restore from S3 alone, and a comparison of what came back with what went in.
 */
package io.strongroom.cli.demo;
