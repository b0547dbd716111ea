#!/usr/bin/env bash
# The fault and load run (issue 10): every service its own process against a standalone broker and S3Proxy,
# events across many tenants while faults are injected one after another; then a full restore compared with
# what was produced. Writes the report to bench/soak/REPORT-<date>.txt.
#   bench/soak/run.sh                      # 1,000,000 events, 50 tenants, 30 s outages
#   bench/soak/run.sh 100000 10 PT10S      # the CI-sized run
# The scale run (10,000 tenants, each its own KEK and CDC topic; see BENCHMARKS.md):
#   ./strongroom local soak --events 100000 --tenants 10000 --tables 1 --no-faults
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
events="${1:-1000000}"; tenants="${2:-50}"; outage="${3:-PT30S}"
dir="$(mktemp -d /tmp/strongroom-soak-XXXXXX)"
report="$here/bench/soak/REPORT-$(date -u +%Y%m%dT%H%M%SZ)-${events}x${tenants}.txt"
trap '"$here/strongroom" local down --dir "$dir" >/dev/null 2>&1 || true' EXIT
STRONGROOM_JAVA_OPTS="${STRONGROOM_JAVA_OPTS:--Xmx4g}" "$here/strongroom" local soak --dir "$dir" --events "$events" \
  --tenants "$tenants" --outage "$outage" | tee "$report"
