#!/usr/bin/env bash
# bench/mrt.sh — wall time and peak memory of `routenorms mrt dump -m` / `mrt stats` against
# bgpdump -m, bgpkit-parser and plain decompression, all measured in this one run.
#
# This is a benchmark, not a test: it prints numbers and ratios, and a PASS/FAIL line per target,
# but always exits 0 once the table is written (a FAIL is a finding to report, not a broken run).
#
# Usage: bench/mrt.sh [--quick]
#   --quick            skip the ~5 M-entry file and take one run per measurement (smoke run)
# Environment:
#   RUNS=N             best (minimum wall time) of N runs, for every tool alike (default 3)
#   RUNS_BIG=N         runs for the ~5 M-entry file only (default: RUNS)
#   ROUTENORMS_DATA    data directory (default: <repo>/../shared/data)
#   ROUTENORMS_BIN     use this binary instead of building one
#   RN_THREADS=N       pass --threads N to routenorms (default: its own, the number of CPUs)
# Generated inputs are cached in bench/out/inputs/ (git-ignored); the table is also written as
# markdown to bench/out/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${ROUTENORMS_DATA:-$ROOT/../shared/data}
OUT=$ROOT/bench/out
INP=$OUT/inputs
QUICK=0
[[ ${1:-} == --quick ]] && QUICK=1
RUNS=${RUNS:-3}
((QUICK)) && RUNS=1
RUNS_BIG=${RUNS_BIG:-$RUNS}
mkdir -p "$INP"
START=$SECONDS

# bgpdump spends most of its time trimming the glibc heap on mixed v4/v6 RIBs unless told not to;
# set it so the comparison is against bgpdump at its best (see ../shared/ENVIRONMENT-NOTES.md).
export MALLOC_TRIM_THRESHOLD_=1073741824

# ---- the binary under test ------------------------------------------------------------------
if [[ -n ${ROUTENORMS_BIN:-} ]]; then
  RN=$ROUTENORMS_BIN
else
  (cd "$ROOT" && cargo build --release -p routenorms >&2)
  RN=$ROOT/target/release/routenorms
fi
# Measure a private copy: a rebuild by someone else during a long run must not swap the binary
# between rows of the table.
cp "$RN" "$OUT/routenorms.bench" && RN=$OUT/routenorms.bench
RN_OPTS=(--no-progress)
[[ -n ${RN_THREADS:-} ]] && RN_OPTS+=(--threads "$RN_THREADS")

# ---- peers: a missing tool is reported and its column shows "-" -------------------------------
have() { command -v "$1" >/dev/null 2>&1; }
BGPKIT=$(command -v bgpkit-parser || echo "$HOME/.cargo/bin/bgpkit-parser")
[[ -x $BGPKIT ]] || { echo "note: bgpkit-parser not found; skipping it" \
  "(install: cargo install bgpkit-parser --features cli --locked)"; BGPKIT=; }
have bgpdump || echo "note: bgpdump not found; skipping it (apt-get install bgpdump)"
have lbzip2 || echo "note: lbzip2 not found; skipping its (informational) column"

# ---- inputs -----------------------------------------------------------------------------------
# Every generated file is written to a temporary name and renamed, so an interrupted run never
# leaves a half-written file in the cache.
cache() { # cache TARGET COMMAND... : run COMMAND (stdout -> TARGET) unless TARGET exists
  local t=$1; shift
  [[ -s $t ]] && return 0
  echo "generating $(basename "$t") ..." >&2
  "$@" >"$t.tmp" && mv "$t.tmp" "$t"
}
# The RouteViews RIBs are bzip2 streams cut at 1 MiB: bzcat decodes what is there and then exits
# non-zero (so `|| true`); the output is cut after the last complete MRT record (12-byte header,
# big-endian u32 body length at bytes 8..12), so every tool sees only whole records.
cut_records() {
  { bzcat "$1" 2>/dev/null || true; } | python3 -c '
import sys
d = sys.stdin.buffer.read(); o = 0
while o + 12 <= len(d):
    n = int.from_bytes(d[o + 8:o + 12], "big")
    if o + 12 + n > len(d): break
    o += 12 + n
sys.stdout.buffer.write(d[:o])'
}
entries() { # RIB entries + announcements + withdrawals, and distinct prefixes/ASNs, per stats
  "$RN" mrt stats --format json "${RN_OPTS[@]}" "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]
print(s["rib_entries"] + s["announcements"] + s["withdrawals"],
      "%d/%d" % (s["prefixes_v4"] + s["prefixes_v6"], s["origin_asns"]))'
}

M4=$DATA/mrt/dn42/master4_2021-05-31.mrt.bz2
M6=$DATA/mrt/dn42/master6_2021-05-31.mrt.bz2
ET=$DATA/mrt/bgpdump/updates.et-header.2015.gz
RV4=$DATA/mrt/routeviews-rib.20140523.0600_firstMB.bz2
RV6=$DATA/mrt/routeviews6-rib6.20151101.0600_firstMB.bz2

cache "$INP/master4.gz" sh -c 'bzcat "$1" | gzip -6' _ "$M4"
cache "$INP/master6.gz" sh -c 'bzcat "$1" | gzip -6' _ "$M6"
cache "$INP/et2015.bz2" sh -c 'zcat "$1" | bzip2 -9' _ "$ET"
for rv in rv4:"$RV4" rv6:"$RV6"; do
  name=${rv%%:*} src=${rv#*:}
  cache "$INP/$name.mrt" cut_records "$src"
  cache "$INP/$name.gz" gzip -6 -c "$INP/$name.mrt"
  cache "$INP/$name.bz2" bzip2 -9 -c "$INP/$name.mrt"
done
# The large file: master4 + master6 (each opening with its own PEER_INDEX_TABLE) repeated until it
# holds >= 5 M RIB entries. Made from the bzip2 originals on the fly; never stored uncompressed.
if ((!QUICK)); then
  read -r e4 _ < <(entries "$M4"); read -r e6 _ < <(entries "$M6")
  COPIES=$(((5000000 + e4 + e6 - 1) / (e4 + e6)))
  big() { for ((i = 0; i < COPIES; i++)); do bzcat "$M4" "$M6"; done; }
  big_gz() { big | gzip -6; }
  big_bz2() { big | bzip2 -9; }
  cache "$INP/big.x$COPIES.gz" big_gz
  cache "$INP/big.x$COPIES.bz2" big_bz2
fi

# label:compression:path — the order of the table
FILES=(
  "dn42 master4:bzip2:$M4" "dn42 master4:gzip:$INP/master4.gz"
  "dn42 master6:bzip2:$M6" "dn42 master6:gzip:$INP/master6.gz"
  "RV 2014 RIB (cut):bzip2:$INP/rv4.bz2" "RV 2014 RIB (cut):gzip:$INP/rv4.gz"
  "RV6 2015 RIB (cut):bzip2:$INP/rv6.bz2" "RV6 2015 RIB (cut):gzip:$INP/rv6.gz"
  "ET updates 2015:bzip2:$INP/et2015.bz2" "ET updates 2015:gzip:$ET"
)
((QUICK)) || FILES+=("big (DN42 x$COPIES):bzip2:$INP/big.x$COPIES.bz2"
  "big (DN42 x$COPIES):gzip:$INP/big.x$COPIES.gz")

# ---- timing -----------------------------------------------------------------------------------
# measure N CMD...: best wall time of N runs and the peak RSS (KB) of that run. Wall time comes
# from bash's `time` (ms resolution; GNU time's %e has only 10 ms, too coarse for the small gzip
# files), peak RSS from GNU time's %M. All output goes to /dev/null. A non-zero exit is noted
# (routenorms exits 2 on damaged records) but not fatal: the timing still stands.
measure() {
  local n=$1 best= rss= t m i tf tw TIMEFORMAT=%3R; shift
  tf=$(mktemp) tw=$(mktemp)
  for ((i = 0; i < n; i++)); do
    { time /usr/bin/time -f '%M' -o "$tf" "$@" >/dev/null 2>&1; } 2>"$tw" ||
      echo "note: exit $? from ${1##*/} ${*:2}" >&2
    t=$(tail -n1 "$tw") m=$(tail -n1 "$tf")
    if [[ -z $best ]] || awk "BEGIN{exit !($t < $best)}"; then best=$t rss=$m; fi
  done
  rm -f "$tf" "$tw"
  echo "$best $rss"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-") print "-";
  else printf "%.2f", a / (b < 0.01 ? 0.01 : b) }'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.0f", k / 1024}'; }

FMT='| %-22s | %-5s | %9s | %-13s | %7s | %7s | %7s | %7s | %8s | %7s | %9s | %8s | %9s | %7s | %8s |\n'
header() {
  printf "$FMT" file comp entries "pfx/ASNs" decomp lbzip2 dump stats bgpdump bgpkit \
    "dump/bgpd" "dump/kit" "stats/dec" "dump MB" "stats MB"
  printf "$FMT" :-- :-- --: --: --: --: --: --: --: --: --: --: --: --: --:
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# routenorms MRT benchmark — $(date -u '+%F %H:%M UTC')"
  echo
  echo "Machine: $(nproc) CPUs, load average at start $LOAD0. $("$RN" --version 2>/dev/null || echo routenorms);" \
    "bgpdump $(have bgpdump && echo yes || echo missing); bgpkit-parser ${BGPKIT:+$("$BGPKIT" --version | cut -d' ' -f2)}."
  echo "Times: best of $RUNS run(s) (big file: $RUNS_BIG), wall seconds; decomp = zcat (gzip) or bzcat (bzip2);"
  echo "dump/bgpd and dump/kit = peer time / routenorms dump time; stats/dec = stats time / decomp time;"
  echo "MB = peak RSS. lbzip2 -dc -n 2 is informational. bgpdump runs with MALLOC_TRIM_THRESHOLD_=1 GiB."
  echo
  header
} | tee "$OUT/results.md"

# worst ratio per target, with the file where it happened
W_BGPD=99999 W_KIT=99999 W_GZ=0 W_BZ=0 WF_BGPD= WF_KIT= WF_GZ= WF_BZ=
DUMP_SMALL=0 DUMP_BIG=0
for f in "${FILES[@]}"; do
  label=${f%%:*} rest=${f#*:}; comp=${rest%%:*} path=${rest#*:}
  n=$RUNS; [[ $label == big* ]] && n=$RUNS_BIG
  read -r ent distinct < <(entries "$path")
  if [[ $comp == gzip ]]; then read -r dec _ < <(measure "$n" zcat "$path"); lbz=-
  else
    read -r dec _ < <(measure "$n" bzcat "$path")
    lbz=-; have lbzip2 && read -r lbz _ < <(measure "$n" lbzip2 -dc -n 2 "$path")
  fi
  read -r dump dump_kb < <(measure "$n" "$RN" mrt dump -m "${RN_OPTS[@]}" "$path")
  read -r stats stats_kb < <(measure "$n" "$RN" mrt stats "${RN_OPTS[@]}" "$path")
  bgpd=-; have bgpdump && read -r bgpd _ < <(measure "$n" bgpdump -q -m "$path")
  kit=-; [[ -n $BGPKIT ]] && read -r kit _ < <(measure "$n" "$BGPKIT" "$path")
  r_bgpd=$(ratio "$bgpd" "$dump") r_kit=$(ratio "$kit" "$dump") r_dec=$(ratio "$stats" "$dec")
  printf "$FMT" "$label" "$comp" "$ent" "$distinct" "$dec" "$lbz" "$dump" "$stats" "$bgpd" "$kit" \
    "${r_bgpd}x" "${r_kit}x" "$r_dec" "$(mb "$dump_kb")" "$(mb "$stats_kb")" | tee -a "$OUT/results.md"
  lt() { awk "BEGIN{exit !($1 < $2)}"; }
  [[ $r_bgpd != - ]] && lt "$r_bgpd" "$W_BGPD" && W_BGPD=$r_bgpd WF_BGPD="$label $comp"
  [[ $r_kit != - ]] && lt "$r_kit" "$W_KIT" && W_KIT=$r_kit WF_KIT="$label $comp"
  if [[ $comp == gzip ]]; then lt "$W_GZ" "$r_dec" && W_GZ=$r_dec WF_GZ="$label $comp"
  else lt "$W_BZ" "$r_dec" && W_BZ=$r_dec WF_BZ="$label $comp"; fi
  # dump memory: the largest DN42 RIB (~450k entries) against the ~5 M-entry file
  [[ $label == dn42* ]] && lt "$DUMP_SMALL" "$dump_kb" && DUMP_SMALL=$dump_kb
  [[ $label == big* ]] && lt "$DUMP_BIG" "$dump_kb" && DUMP_BIG=$dump_kb
  true
done

# ---- verdicts ---------------------------------------------------------------------------------
verdict() { # verdict CONDITION TEXT...
  local c=$1; shift
  if awk "BEGIN{exit !($c)}"; then echo "PASS  $*"; else echo "FAIL  $*"; fi
}
{
  echo
  echo "Targets (worst case over all files):"
  echo
  [[ $WF_BGPD ]] && verdict "$W_BGPD >= 5" "dump >=5x bgpdump -m: worst ${W_BGPD}x ($WF_BGPD)"
  [[ $WF_KIT ]] && verdict "$W_KIT >= 5" "dump >=5x bgpkit-parser: worst ${W_KIT}x ($WF_KIT)"
  verdict "$W_GZ <= 1.3" "stats <=1.3x zcat (gzip): worst ${W_GZ}x ($WF_GZ)"
  verdict "$W_BZ < 1" "stats < bzcat (bzip2): worst ${W_BZ}x ($WF_BZ)"
  # Streaming means peak memory is independent of file length; allow 1.5x for allocator noise
  # and for the larger decode batches a 10x longer file may keep in flight.
  if ((DUMP_BIG > 0)); then
    verdict "$DUMP_BIG <= 1.5 * $DUMP_SMALL" "dump memory flat: peak $(mb $DUMP_SMALL) MB on a" \
      "~450k-entry DN42 RIB, $(mb $DUMP_BIG) MB on the ${COPIES}x file ($(ratio $DUMP_BIG $DUMP_SMALL)x)"
  else
    echo "n/a   dump memory flat: needs the ~5 M-entry file (run without --quick)"
  fi
  echo "info  stats memory follows the pfx/ASNs column (distinct prefixes / origin ASNs), see stats MB"
  echo
  echo "Load average at end $(cut -d' ' -f1-3 /proc/loadavg); script wall time $((SECONDS - START)) s."
} | tee -a "$OUT/results.md"
