#!/usr/bin/env bash
# Memory of `backup show` on a backup of many items: FILES tiny files (16-64
# bytes, so the manifest's items are all there is to it) backed up once, then
# `backup show ID` and `backup show ID --json` under GNU time. Each binary given
# is measured on the same repository (an older build for a before/after row).
# The outputs of every binary are compared byte for byte with the first one's.
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/show_bench.sh [WORK_DIR] [FILES] [ECAP_DR_BINARY...]
#        (default /tmp/ecap-dr-showbench 100000, and build/ecap-dr built in Release)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-showbench}
FILES=${2:-100000}
shift $(($# < 2 ? $# : 2))
BINARIES=("$@")
if [ ${#BINARIES[@]} -eq 0 ]; then
  BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
  BINARIES=("$ROOT/build/ecap-dr")
fi
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"

python3 - data "$FILES" <<'PY'
import os, random, sys
d, count = sys.argv[1], int(sys.argv[2])
random.seed(1)
for i in range(count):
    sub = os.path.join(d, "%03d" % (i % 500))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%07d" % i), "wb") as f:
        f.write(random.randbytes(random.randint(16, 64)))
PY
export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
cat > ecap.yaml <<YAML
backup_manager:
  backup_dir: "$WORK/repo"
YAML
DR=${BINARIES[0]}
$DR -c ecap.yaml -q repo init
$DR -c ecap.yaml -q backup create --id many --files data

echo "Data: $FILES files of 16-64 bytes in one backup (manifest $(du -k repo/snapshots/* 2>/dev/null | awk '{s+=$1} END {print s}') KiB sealed)"
echo
echo "| binary | command | seconds | peak RSS (MB) | output (MB) |"
echo "|---|---|---:|---:|---:|"
n=0
for bin in "${BINARIES[@]}"; do
  for args in "backup show many" "--json backup show many"; do
    out=out.$n.$(echo "$args" | tr -c 'a-z' _)
    /usr/bin/time -f "%e %M" -o time.txt "$bin" -c ecap.yaml $args >"$out"
    read -r secs kb <time.txt
    printf '| %s | `ecap-dr %s` | %s | %d | %.1f |\n' "$(basename "$(dirname "$bin")")/$(basename "$bin")" "$args" \
      "$secs" $((kb / 1024)) "$(echo "$(stat -c %s "$out") / 1048576" | bc -l)"
    if [ "$n" -gt 0 ]; then
      cmp -s "$out" "out.0.$(echo "$args" | tr -c 'a-z' _)" || echo "DIFFERENT OUTPUT: $bin $args" >&2
    fi
  done
  n=$((n + 1))
done
