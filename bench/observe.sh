#!/usr/bin/env bash
# bench/observe.sh — `routenorms observe` against `routenorms mrt stats` on the same RIB
# (issue 6): the largest real RIB in ../shared/data (RIS rrc00, 2000-01-11, 452,018 entries)
# with a million-VRP set, the ratio printed. The million VRPs are the 424,223 real rpki-client
# VRPs plus copies of them with other ASNs (AS 4,000,000,000 + n), built once into
# bench/out/vrps-1m.csv: the copies change no route's verdict (a route valid stays valid,
# one covered stays covered) but make loading and lookup work on a million entries.
# A benchmark, not a test: it always exits 0 once the table is written.
#
# Usage: bench/observe.sh [RUNS]        (default 3 runs each; the median is reported)
# Environment:
#   ROUTENORMS_BIN   use this binary instead of building one (release)
#   BASELINE_BIN     also time this (older) binary's observe, alternating with the new one
#                    run by run: on a machine whose speed drifts, only runs side by side
#                    compare
#   ROUTENORMS_DATA  the shared data directory (default ../shared/data)
#   RIB=FILE         another RIB (e.g. bench/out/sim/mrt/rrc00/bview.*.gz from bench/sim.sh)
# The table is also written to bench/out/observe.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
DATA=${ROUTENORMS_DATA:-$ROOT/../shared/data}
RUNS=${1:-3}
mkdir -p "$OUT"

if [[ -n ${ROUTENORMS_BIN:-} ]]; then
  RN=$ROUTENORMS_BIN
else
  (cd "$ROOT" && cargo build --release -p routenorms >&2)
  RN=$ROOT/target/release/routenorms
fi

RIB=${RIB:-$DATA/mrt/ris-rrc00-bview.20000111.0032.gz}
REAL_VRPS=$DATA/rpki/rpki-client-ripe-prepdev-20230504.json.gz
VRPS=$OUT/vrps-1m.csv
if [[ ! -s $VRPS ]]; then
  echo "building the million-VRP set in $VRPS ..." >&2
  python3 - "$REAL_VRPS" "$VRPS" <<'EOF'
import gzip, json, sys
roas = json.load(gzip.open(sys.argv[1]))["roas"]
with open(sys.argv[2], "w") as out:
    out.write("ASN,IP Prefix,Max Length,Trust Anchor\n")
    n = 0
    for r in roas:
        out.write(f"AS{r['asn']},{r['prefix']},{r['maxLength']},real\n")
        n += 1
    i = 0
    while n < 1_000_000:
        r = roas[i % len(roas)]
        out.write(f"AS{4_000_000_000 + i},{r['prefix']},{r['maxLength']},synthetic\n")
        n += 1
        i += 1
EOF
fi
IRR=$DATA/irr/ripe-aut-num-AS3257.rpsl

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { # wall seconds of one run of the command, output discarded
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null 2>"${ERR:-$OUT/observe-bench.stderr}" || true
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}

STORE=$OUT/observe-bench.db
BASE=${BASELINE_BIN:-}
stats_times=() observe_times=() base_times=()
observe_once() { # BIN: one observe run into a fresh store, wall seconds
  rm -f "$STORE" "$STORE-wal" "$STORE-shm"
  wall "$1" observe --no-progress --mrt "$RIB" --vrps "$VRPS" --irr "$IRR" --store "$STORE"
}
for _ in $(seq "$RUNS"); do
  stats_times+=("$(wall "$RN" mrt stats "$RIB")")
  if [[ -n $BASE ]]; then
    base_times+=("$(observe_once "$BASE")")
  fi
  observe_times+=("$(observe_once "$RN")")
done
STAGES=$(grep -o '([0-9.]* s: .*)' "$OUT/observe-bench.stderr" || true)

# Floors: work observe cannot skip, timed without the rest of observe. Loading the VRPs
# alone (`validate` parses and indexes the whole set to judge one route), and SQLite alone
# writing the rows the last observe run stored (same schema and page size, one transaction,
# the rows copied table to table inside sqlite3, so no Rust, no binding, no JSON).
vrp_times=()
for _ in $(seq "$RUNS"); do
  vrp_times+=("$(ERR=/dev/null wall "$RN" validate --vrps "$VRPS" 193.0.0.0/21 3333)")
done
V=$(printf '%s\n' "${vrp_times[@]}" | median)
sqlite_floor() { # seconds SQLite takes to write the stored rows into a fresh store
  local db=$OUT/floor.db tables
  rm -f "$db" "$db-wal" "$db-shm"
  tables=$(sqlite3 "$STORE" "SELECT name FROM sqlite_master WHERE type = 'table'")
  {
    echo "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
    sqlite3 "$STORE" .schema
    echo "ATTACH '$STORE' AS src;"
    for t in $tables; do echo "CREATE TEMP TABLE copy_$t AS SELECT * FROM src.$t;"; done
    echo "DETACH src;"
    echo ".timer on"
    echo "BEGIN;"
    for t in $tables; do echo "INSERT INTO main.$t SELECT * FROM copy_$t;"; done
    echo "COMMIT;"
    echo "PRAGMA wal_checkpoint(TRUNCATE);"
  } | sqlite3 "$db" | awk '/^Run Time/ {s += $4} END {printf "%.3f\n", s}'
  rm -f "$db" "$db-wal" "$db-shm"
}
Q=
if command -v sqlite3 >/dev/null && [[ -s $STORE ]]; then
  q_times=()
  for _ in $(seq "$RUNS"); do q_times+=("$(sqlite_floor)"); done
  Q=$(printf '%s\n' "${q_times[@]}" | median)
fi
S=$(printf '%s\n' "${stats_times[@]}" | median)
O=$(printf '%s\n' "${observe_times[@]}" | median)
RATIO=$(echo "$O / $S" | bc -l)

{
  echo "| command | wall (median of $RUNS) |"
  echo "|---|---|"
  printf '| `mrt stats` %s | %.3f s |\n' "$(basename "$RIB")" "$S"
  printf '| `observe` same RIB, %s VRPs | %.3f s |\n' "$(($(wc -l <"$VRPS") - 1))" "$O"
  if [[ -n $BASE ]]; then
    B=$(printf '%s\n' "${base_times[@]}" | median)
    printf '| `observe` of the baseline binary, same runs | %.3f s (ratio %.2f) |\n' "$B" \
      "$(echo "$B / $S" | bc -l)"
  fi
  printf '| ratio observe / mrt stats | **%.2f** (goal ≤ 1.5) |\n' "$RATIO"
  printf '| floor: loading the VRPs alone (`validate`) | %.3f s (ratio %.2f) |\n' "$V" \
    "$(echo "$V / $S" | bc -l)"
  if [[ -n $Q ]]; then
    printf '| floor: SQLite alone writing the stored rows (sqlite3) | %.3f s (ratio %.2f) |\n' \
      "$Q" "$(echo "$Q / $S" | bc -l)"
  fi
  echo
  echo "observe's last run by stage: $STAGES"
  echo "machine: $(nproc) cores; $(date -u +%Y-%m-%d)"
} | tee "$OUT/observe.md"
