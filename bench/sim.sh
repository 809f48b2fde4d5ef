#!/usr/bin/env bash
# bench/sim.sh — the MRT, RPKI and IRR commands at full-Internet scale, on the simulator's
# output (issue 5): `routenorms sim generate --scale internet` (about a million IPv4 prefixes
# seen by 300 collector peers) is generated once and cached in bench/out/sim/, then one
# collector's RIB (rrc00, ~9 M entries) is read by
#   - mrt stats / mrt dump -m, against zcat, bgpdump -m and bgpkit-parser (same run),
#   - rov against the simulated rpki-client VRP file (with ASPA verification),
#   - irr check against the simulated RPSL dumps of six registries (with RPKI agreement),
# each with wall time and peak memory (GNU time). A benchmark, not a test: it always exits 0
# once the table is written.
#
# Usage: bench/sim.sh
# Environment:
#   ROUTENORMS_BIN  use this binary instead of building one
#   SIM_SEED=N      the simulation's seed (default 1)
#   SIM_SCALE=S     small|internet (default internet; small for a smoke run)
#   SKIP_PEERS=1    leave out bgpdump and bgpkit-parser (minutes on ~9 M entries)
# The table is also written to bench/out/sim.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
SIM=$OUT/sim
SEED=${SIM_SEED:-1}
SCALE=${SIM_SCALE:-internet}
mkdir -p "$OUT"
export MALLOC_TRIM_THRESHOLD_=1073741824 # bgpdump at its best (see ../shared/ENVIRONMENT-NOTES.md)

if [[ -n ${ROUTENORMS_BIN:-} ]]; then
  RN=$ROUTENORMS_BIN
else
  (cd "$ROOT" && cargo build --release -p routenorms >&2)
  RN=$ROOT/target/release/routenorms
fi
cp "$RN" "$OUT/routenorms.sim-bench" && RN=$OUT/routenorms.sim-bench

# ---- the simulated Internet (cached; regenerated when the scale or seed changes) -------------
if [[ ! -f $SIM/manifest.json || ! -f $SIM/.made-$SCALE-$SEED ]]; then
  rm -rf "$SIM"
  echo "generating the $SCALE-scale simulation (seed $SEED) into $SIM ..." >&2
  /usr/bin/time -f '%e %M' -o "$OUT/sim-generate.time" \
    "$RN" sim generate --scale "$SCALE" --seed "$SEED" --out "$SIM.tmp" --no-progress >&2
  mv "$SIM.tmp" "$SIM"
  touch "$SIM/.made-$SCALE-$SEED"
fi
RIB=$(ls "$SIM"/mrt/rrc00/bview.*.gz | head -n1)
VRPS=$SIM/rpki/vrps.json
IRR=("$SIM"/irr/*.db)

# measure NAME COMMAND... : one run, wall seconds and peak RSS in MB, stdout discarded
ROWS=()
measure() {
  local name=$1
  shift
  local tf
  tf=$(mktemp)
  if /usr/bin/time -f '%e %M' -o "$tf" "$@" >/dev/null 2>"$OUT/sim-last.err"; then
    read -r wall kb <"$tf"
    ROWS+=("| $name | $wall | $((kb / 1024)) |")
    echo "$name: $wall s, $((kb / 1024)) MB" >&2
  else
    ROWS+=("| $name | failed (see bench/out/sim-last.err) | - |")
  fi
  rm -f "$tf"
}

ENTRIES=$("$RN" mrt stats --no-progress --format json "$RIB" | python3 -c \
  'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["rib_entries"])' 2>/dev/null || echo "?")

measure "zcat (decompression alone)" zcat "$RIB"
measure "routenorms mrt stats" "$RN" mrt stats --no-progress "$RIB"
measure "routenorms mrt dump -m" "$RN" mrt dump -m --no-progress "$RIB"
if [[ -z ${SKIP_PEERS:-} ]]; then
  command -v bgpdump >/dev/null && measure "bgpdump -m (1.6.2)" bgpdump -q -m "$RIB"
  BGPKIT=$(command -v bgpkit-parser || echo "$HOME/.cargo/bin/bgpkit-parser")
  [[ -x $BGPKIT ]] && measure "bgpkit-parser (text)" "$BGPKIT" "$RIB"
fi
measure "routenorms rov --vrps (ROV of every distinct route)" \
  "$RN" rov --vrps "$VRPS" --mrt "$RIB" --format csv
measure "routenorms rov --vrps --aspa (and ASPA of every path)" \
  "$RN" rov --vrps "$VRPS" --aspa "$VRPS" --mrt "$RIB" --format csv
measure "routenorms irr check (six RPSL dumps)" \
  "$RN" irr check --irr "${IRR[@]}" --mrt "$RIB" --format csv
measure "routenorms irr check --vrps (with RPKI agreement)" \
  "$RN" irr check --irr "${IRR[@]}" --vrps "$VRPS" --mrt "$RIB" --format csv

{
  echo "# routenorms on a simulated Internet ($SCALE scale, seed $SEED) — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) CPUs. RIB: $(basename "$RIB") ($ENTRIES entries, $(du -m "$RIB" | cut -f1) MB gzip);"
  echo "VRPs: $(du -m "$VRPS" | cut -f1) MB rpki-client JSON; IRR: ${#IRR[@]} RPSL dumps, $(du -cm "${IRR[@]}" | tail -n1 | cut -f1) MB."
  [[ -f $OUT/sim-generate.time ]] && echo "Generation (when last done): $(cut -d' ' -f1 "$OUT/sim-generate.time") s, $(($(cut -d' ' -f2 "$OUT/sim-generate.time") / 1024)) MB peak."
  echo "One run each, wall seconds and peak RSS."
  echo
  echo "| command | wall s | peak MB |"
  echo "| :-- | --: | --: |"
  printf '%s\n' "${ROWS[@]}"
} | tee "$OUT/sim.md"
