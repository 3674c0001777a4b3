#!/usr/bin/env bash
# Item lists at scale (issue 15, part 2): for each item count, a full backup of
# N synthetic data-lake items, an incremental one with 1% of them changed
# (every 100th: the worst case, spread over every list blob), and a walk over
# every item, each its own process (bench/item_list_bench.cc); and, up to
# V1_MAX items, what format 1 cost: the manifest built whole and serialized.
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# DATA=1: every item also stores a distinct small data blob (changed items new
# ones), and the walk looks every blob up in the index: the cost of the index
# of N distinct blobs, as in a backup and a restore of N small objects.
#
# Usage: [DATA=1] bench/item_list_bench.sh [WORK_DIR] [COUNTS...]
#        (default /tmp/ecap-dr-itemlist 100000 1000000 10000000; V1_MAX=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-itemlist}
shift $(($# < 1 ? $# : 1))
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(100000 1000000 10000000)
V1_MAX=${V1_MAX:-1000000}
BUILD_DIR=${BUILD_DIR:-build-release}
BUILD_DIR=$BUILD_DIR BUILD_TARGETS=dr_bench_item_list scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
BIN="$ROOT/$BUILD_DIR/bench/dr_bench_item_list"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
mb() { python3 -c "import sys; print('%.1f' % (int(sys.argv[1]) / 1e6))" "$1"; }

echo "| items | format 1: manifest, peak RSS | full: time, peak RSS, metadata stored | 1% changed: time, peak RSS, metadata stored | walk every item: time, peak RSS |"
echo "|---:|---|---|---|---|"
for n in "${COUNTS[@]}"; do
  rm -rf "$WORK"; mkdir -p "$WORK"
  v1="—"
  if [ "$n" -le "$V1_MAX" ]; then
    j=$("$BIN" "$WORK/v1" v1 "$n")
    v1="$(mb "$(field "$j" metadata_bytes)") MB of JSON, $(field "$j" peak_rss_mb | cut -d. -f1) MB"
  fi
  full=$("$BIN" "$WORK/repo" write "$n")
  incr=$("$BIN" "$WORK/repo" write "$n" 100)
  if [ "${DATA:-0}" = 1 ]; then walk=$("$BIN" "$WORK/repo" walk full find); else walk=$("$BIN" "$WORK/repo" walk full); fi
  printf "| %s | %s | %.1f s, %s MB, %s MB | %.1f s, %s MB, %s MB | %.1f s, %s MB |\n" "$n" "$v1" \
    "$(field "$full" seconds)" "$(field "$full" peak_rss_mb | cut -d. -f1)" "$(mb "$(field "$full" stored_bytes)")" \
    "$(field "$incr" seconds)" "$(field "$incr" peak_rss_mb | cut -d. -f1)" "$(mb "$(field "$incr" stored_bytes)")" \
    "$(field "$walk" seconds)" "$(field "$walk" peak_rss_mb | cut -d. -f1)"
done
rm -rf "$WORK"
