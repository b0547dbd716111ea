/**
 * Strongroom's wire contracts: Avro schemas (generated into {@code io.strongroom.avro}), the
 * single-object-encoding serdes that read every kept schema version, and the typed descriptors of
 * the project's own topics.
 */
package io.strongroom.schemas;
