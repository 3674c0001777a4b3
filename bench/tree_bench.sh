#!/usr/bin/env bash
# A file tree of many small files, ecap-dr against restic on the same tree in the same run:
# N JSON files of 20-200 bytes in N/3.3 directories (default 300,000 in 90,000), a first backup,
# then 1% of the files rewritten and a second backup. Seconds, peak RSS, and the bytes each
# backup added to its repository; then a restore of the second backup by each tool, compared.
#
# Usage: bench/tree_bench.sh [WORK_DIR] [N]     (default /tmp/ecap-dr-treebench 300000)
#   BUILD_DIR=build-release keeps the Release build apart from a development build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-treebench}
N=${2:-300000}
scripts/install-deps.sh --bench
BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
DR=$ROOT/${BUILD_DIR:-build}/ecap-dr

rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
python3 - "$N" <<'PY'
import json, os, random, sys
n = int(sys.argv[1]); dirs = max(1, n * 10 // 33)
random.seed(3)
for i in range(n):
    d = f"data/p{(i % dirs) // 300:04d}/d{i % dirs:06d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:07d}.json", "w") as f:
        f.write(json.dumps({"id": i, "sku": f"SKU-{random.randint(0, 99999)}", "v": "x" * random.randint(0, 150)}))
PY
export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64) RESTIC_PASSWORD=bench
echo "backup_manager: {backup_dir: \"$WORK/repo\"}" > ecap.yaml
$DR -c ecap.yaml -q repo init
restic -q init -r restic-repo >/dev/null

rows=()
# tool, run, command...: seconds, peak RSS and the bytes the repository grew by.
run() {
  local tool=$1 run=$2 repo=$3; shift 3
  local before=$(du -sb "$repo" | cut -f1)
  /usr/bin/time -f "%e %M" -o run.time "$@" >/dev/null 2>run.err || { cat run.err >&2; exit 1; }
  local after=$(du -sb "$repo" | cut -f1)
  read -r secs kb < run.time
  rows+=("| $tool | $run | $secs | $((kb / 1024)) | $(echo "scale=1; ($after - $before) / 1000000" | bc) |")
  echo "${rows[-1]}" >&2
}
run ecap-dr "first backup" repo $DR -c ecap.yaml -q backup create --id first --files data
run restic "first backup" restic-repo restic -q -r restic-repo backup data
python3 - "$N" <<'PY'
import os, sys
n = int(sys.argv[1]); changed = 0
for root, _, files in os.walk("data"):
    for f in sorted(files):
        if int(f[1:8]) % 100 == 7:
            with open(os.path.join(root, f), "a") as out: out.write(" ")
            changed += 1
print(f"changed {changed} files", file=sys.stderr)
PY
run ecap-dr "after 1% changed" repo $DR -c ecap.yaml -q backup create --id second --files data
run restic "after 1% changed" restic-repo restic -q -r restic-repo backup data
read_meta=$($DR -c ecap.yaml --json backup show second | python3 -c 'import json,sys; m=json.load(sys.stdin)["components"]["files"]["meta"]; print(m.get("files_read"), m.get("files_unchanged"))')
rm -rf out-ecap out-restic
run ecap-dr "restore second" repo $DR -c ecap.yaml -q restore second --target out-ecap
run restic "restore latest" restic-repo restic -q -r restic-repo restore latest --target out-restic
diff -r data "out-ecap$WORK/data" >/dev/null || { echo "ecap-dr's restore differs" >&2; exit 1; }
diff -r data out-restic/data >/dev/null || { echo "restic's restore differs" >&2; exit 1; }

echo "$N files in $(find data -type d | wc -l) directories; restic $(restic version | awk '{print $2}'); $(nproc) cores."
echo "Second ecap-dr backup: files read, files taken unread: $read_meta"
echo
echo "| tool | run | seconds | peak RSS (MB) | repository grew (MB) |"
echo "|---|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
