/**
 * The single YAML configuration file shared by every service, its environment-variable overrides,
 * and the one-line errors a bad file gets.
 */
package io.strongroom.cli.config;
