/** JMH benchmarks. Each compares against a reference measured in the same run; see BENCHMARKS.md. */
package io.strongroom.bench;
