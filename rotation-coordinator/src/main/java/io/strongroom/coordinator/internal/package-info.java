/** The rotation coordinator's implementation: not API, used by {@code io.strongroom.coordinator} only. */
package io.strongroom.coordinator.internal;
