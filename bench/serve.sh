#!/usr/bin/env bash
# bench/serve.sh — load on `routenorms serve` (issue 7): a demo store (seed 1), the server on
# loopback, and Debian's `wrk` against an ASN report card (API document and dashboard page)
# and the global report, bounded in time. Prints requests/s and latency percentiles. A
# benchmark, not a test.
#
# Usage: bench/serve.sh [SECONDS]            (default 10 per endpoint)
# Environment: ROUTENORMS_BIN (default: a release build), CONNECTIONS (default 32)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
SECS=${1:-10}
CONN=${CONNECTIONS:-32}
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 0; }
if [[ -n ${ROUTENORMS_BIN:-} ]]; then
  RN=$ROUTENORMS_BIN
else
  (cd "$ROOT" && cargo build --release -p routenorms >&2)
  RN=$ROOT/target/release/routenorms
fi
DIR=$OUT/serve-demo
rm -rf "$DIR"
"$RN" demo --seed 1 --out "$DIR" --no-progress --no-serve >/dev/null 2>&1
PORT=18181
"$RN" serve --store "$DIR/routenorms.db" --listen 127.0.0.1:$PORT 2>/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/api/v1/periods" >/dev/null && break; sleep 0.1; done
ASN=$(curl -s "http://127.0.0.1:$PORT/api/v1/global" | python3 -c 'import json,sys; print(json.load(sys.stdin)["top_incidents"][0]["culprit"])')
{
  echo "| endpoint | requests/s | p50 | p99 |"
  echo "|---|---|---|---|"
  for path in "/api/v1/asn/$ASN" "/asn/$ASN" "/api/v1/global"; do
    wrk -t2 -c"$CONN" -d"${SECS}s" --latency "http://127.0.0.1:$PORT$path" >"$OUT/wrk.txt"
    RPS=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    P50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt")
    P99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")
    echo "| \`$path\` | $RPS | $P50 | $P99 |"
  done
  echo
  echo "wrk -t2 -c$CONN -d${SECS}s on loopback, server and wrk sharing $(nproc) cores; $(date -u +%Y-%m-%d)"
} | tee "$OUT/serve.md"
