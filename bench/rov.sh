#!/usr/bin/env bash
# bench/rov.sh — the route-origin validation benchmark of issue 3 (crates/rpki/benches/rov.rs):
# load + index time of the largest VRP file and of a synthetic 1 M-VRP CSV, validate_state /
# validate throughput over every distinct (prefix, origin) of the shared MRT files, a naive
# linear-scan baseline and its ratio, verdict counts, VmHWM, and PASS/FAIL per target.
#
# This is a benchmark, not a test: it always exits 0 once the report is written (a FAIL is a
# finding). The bench binary is built first, so the peak RSS that GNU time records below is the
# benchmark's own (cargo's is far smaller), not the compiler's.
#
# Usage: bench/rov.sh
# Environment: ROUTENORMS_DATA  data directory (default: <repo>/../shared/data)
# The report is also written to bench/out/rov.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
mkdir -p "$OUT"
cd "$ROOT"

cargo bench -p routenorms-rpki --bench rov --no-run >&2
TF=$(mktemp)
trap 'rm -f "$TF"' EXIT
START=$SECONDS
/usr/bin/time -f '%M' -o "$TF" cargo bench -p routenorms-rpki --bench rov 2>/dev/null |
  tee "$OUT/rov.txt"
KB=$(tail -n1 "$TF")
{
  echo "Peak RSS (GNU time %M, cargo + bench process): $KB kB ($((KB / 1024)) MiB)"
  echo "Script wall time (bench run only): $((SECONDS - START)) s"
} | tee -a "$OUT/rov.txt"
