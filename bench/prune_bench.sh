#!/usr/bin/env bash
# Prune memory against restic on the same data in the same run: a repository of
# many small blobs (FILES small files, so the index is large), a second backup
# after half of them were replaced, then the first backup forgotten and the
# repository pruned. Peak RSS (GNU time %M) of the prune against the size of
# each tool's index on disk (restic's own rule of thumb: ~6x its index).
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/prune_bench.sh [WORK_DIR] [FILES]    (default /tmp/ecap-dr-prunebench 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-prunebench}
FILES=${2:-200000}
scripts/install-deps.sh --bench
BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
DR=$ROOT/build/ecap-dr
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"

gen() {  # gen DIR FIRST COUNT SEED: COUNT files of 1-4 KiB of random bytes
  python3 - "$@" <<'PY'
import os, random, sys
d, first, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
for i in range(first, first + count):
    sub = os.path.join(d, "%03d" % (i % 500))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%07d" % i), "wb") as f:
        f.write(random.randbytes(random.randint(1024, 4096)))
PY
}
gen data 0 "$FILES" 1
export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64) RESTIC_PASSWORD=bench
cat > ecap.yaml <<YAML
backup_manager:
  backup_dir: "$WORK/repo"
  retention_policies: {daily: 0, weekly: 0, monthly: 0, last: 1}
YAML
$DR -c ecap.yaml -q repo init
restic -q init -r restic-repo

$DR -c ecap.yaml -q backup create --id b1 --files data
restic -q -r restic-repo backup data
# Replace half of the files.
find data -name 'f*' | awk 'NR % 2 == 0' | xargs rm -f
gen data "$FILES" $((FILES / 2)) 2
$DR -c ecap.yaml -q backup create --id b2 --files data
restic -q -r restic-repo backup data

rss() { /usr/bin/time -f "%e %M" -o "$1" "${@:2}" >/dev/null 2>&1; cat "$1"; }
read -r dr_s dr_kb < <(rss dr.time $DR -c ecap.yaml -q retention apply)
read -r rs_s rs_kb < <(rss restic.time restic -q -r restic-repo forget --keep-last 1 --prune)
dr_index=$(du -sk repo/index | cut -f1)
rs_index=$(du -sk restic-repo/index | cut -f1)
$DR -c ecap.yaml -q repo check >/dev/null && restic -q -r restic-repo check >/dev/null
echo "Data: $FILES files of 1-4 KiB, then half of them replaced; restic $(restic version | awk '{print $2}')"
echo
echo "| tool | prune seconds | peak RSS (MB) | index on disk (MB) | RSS / index |"
echo "|---|---:|---:|---:|---:|"
printf '| ecap-dr retention apply (prune) | %s | %d | %.1f | %.1fx |\n' "$dr_s" $((dr_kb / 1024)) "$(echo "$dr_index / 1024" | bc -l)" "$(echo "$dr_kb / $dr_index" | bc -l)"
printf '| restic forget --prune | %s | %d | %.1f | %.1fx |\n' "$rs_s" $((rs_kb / 1024)) "$(echo "$rs_index / 1024" | bc -l)" "$(echo "$rs_kb / $rs_index" | bc -l)"
