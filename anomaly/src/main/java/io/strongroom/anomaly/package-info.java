/** The anomaly detector: rules over the audit trail, alerts with their evidence on {@code strongroom.alerts}. */
package io.strongroom.anomaly;
