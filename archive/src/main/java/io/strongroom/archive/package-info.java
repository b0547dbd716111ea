/**
 * The archive in object storage, as every module reads and writes it: the layout (every object
 * name and reserved prefix, formatted and parsed in {@link io.strongroom.archive.ArchiveLayout}),
 * the catalog (manifest parts, rewrap parts, prune markers, legal holds), and the S3 targets with
 * their one conditional-put path. Depends on {@code crypto} and {@code schemas} only; the
 * archiver, restore, the coordinator and the CLI use it.
 */
package io.strongroom.archive;
