#!/usr/bin/env bash
# S3 data-lake benchmark against rclone on the same local radosgw, same data,
# same run: 5,000 objects of 1-64 KiB plus five of 50 MB (~430 MB).
#   first:  ecap-dr backup --component s3, ecap-dr s3 mirror --once, rclone sync --transfers 16
#   second: the same after 51 objects changed
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/s3_bench.sh [WORK_DIR]     (default /tmp/ecap-dr-s3bench)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-s3bench}
scripts/install-deps.sh
dpkg-query -W -f='${Status}' rclone 2>/dev/null | grep -q "install ok installed" || \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone >/dev/null
BUILD_TARGETS="ecap-dr dr_gen_dump" scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DDR_BUILD_BENCH=ON >/dev/null
DR=$ROOT/build/ecap-dr

rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
BASE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=$("$ROOT/test/servers/radosgw.sh" start "$WORK/rgw" "$BASE" | sed 's/endpoint=//')
trap '"$ROOT/test/servers/radosgw.sh" stop "$WORK/rgw"' EXIT

export RCLONE_CONFIG_RGW_TYPE=s3 RCLONE_CONFIG_RGW_PROVIDER=Ceph RCLONE_CONFIG_RGW_ENDPOINT=$ENDPOINT
export RCLONE_CONFIG_RGW_ACCESS_KEY_ID=TESTKEY RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY=TESTSECRET
RC="env -u AWS_CA_BUNDLE rclone"
for b in lake lake-rclone lake-mirror; do $RC mkdir "rgw:$b"; done

python3 - <<'PY'
import os, random
random.seed(5)
os.makedirs("data/small", exist_ok=True); os.makedirs("data/big", exist_ok=True)
for i in range(5000):
    with open(f"data/small/obj-{i:05d}.json", "wb") as f: f.write(os.urandom(random.randint(1024, 65536)))
for i in range(5):
    with open(f"data/big/part-{i}.parquet", "wb") as f: f.write(os.urandom(50 * 1000 * 1000))
PY
$RC copy data rgw:lake --transfers 16 >/dev/null 2>&1
BYTES=$(du -sb data | cut -f1)
COUNT=$(find data -type f | wc -l)

export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
cat > ecap.yaml <<YAML
backup_manager: {backup_dir: "$WORK/repo"}
s3:
  endpoint: $ENDPOINT
  region: us-east-1
  force_path_style: true
  access_key_id: TESTKEY
  secret_access_key: TESTSECRET
  buckets: [lake]
  mirror: {source: lake, target: lake-mirror, state_file: "$WORK/mirror.state"}
YAML
$DR -c ecap.yaml -q repo init

t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N); echo "$e - $s" | bc; }
rows=()
row() { rows+=("| $1 | $2 | $(printf '%.2f' "$3") | $(echo "scale=0; $BYTES / 1000000 / $3" | bc) |"); }

row "ecap-dr backup --component s3" "first" "$(t $DR -c ecap.yaml -q backup create --id first --component s3)"
row "ecap-dr s3 mirror --once" "first" "$(t $DR -c ecap.yaml -q s3 mirror --once)"
row "rclone sync --transfers 16" "first" "$(t $RC sync rgw:lake rgw:lake-rclone --transfers 16)"
# 51 changes: 50 small objects and one big one rewritten.
python3 - <<'PY'
import os
for i in range(0, 5000, 100):
    with open(f"data/small/obj-{i:05d}.json", "wb") as f: f.write(os.urandom(2048))
with open("data/big/part-0.parquet", "wb") as f: f.write(os.urandom(50 * 1000 * 1000))
PY
$RC copy data rgw:lake --transfers 16 >/dev/null 2>&1
row "ecap-dr backup --component s3" "after 51 changes" "$(t $DR -c ecap.yaml -q backup create --id second --component s3)"
row "ecap-dr s3 mirror --once" "after 51 changes" "$(t $DR -c ecap.yaml -q s3 mirror --once)"
row "rclone sync --transfers 16" "after 51 changes" "$(t $RC sync rgw:lake rgw:lake-rclone --transfers 16)"
meta=$($DR -c ecap.yaml --json backup show second | python3 -c 'import json,sys; m=json.load(sys.stdin)["components"]["s3"]["meta"]; print(m["objects_read"], m["requests"])')

# The foundation benchmark's input (a 1 GiB SQL dump, then its changed copy) into a repository on
# local disk and into one on this S3 server: what the repository's storage costs.
"$ROOT/build/bench/dr_gen_dump" dump 1024 dump1.sql
"$ROOT/build/bench/dr_gen_dump" change dump1.sql dump2.sql
$RC mkdir rgw:repo-bucket
cat > repo-s3.yaml <<YAML
repository: {type: s3, bucket: repo-bucket, endpoint: $ENDPOINT, region: us-east-1, force_path_style: true,
             access_key_id: TESTKEY, secret_access_key: TESTSECRET}
YAML
cat > repo-local.yaml <<YAML
backup_manager: {backup_dir: "$WORK/repo-local"}
YAML
DUMP=$(stat -c %s dump1.sql)
repo_rows=()
for where in local s3; do
  $DR -c repo-$where.yaml -q repo init
  for d in dump1 dump2; do
    secs=$(t sh -c "$DR -c repo-$where.yaml -q backup create --id ${where}_$d --stdin dump.sql < $d.sql")
    repo_rows+=("| $where | backup $d | $(printf '%.2f' "$secs") | $(echo "$DUMP / 1000000 / $secs" | bc) |")
  done
  secs=$(t sh -c "$DR -c repo-$where.yaml -q restore ${where}_dump2 --item dump.sql --stdout > restored.sql")
  cmp -s restored.sql dump2.sql || { echo "restore from the $where repository differs" >&2; exit 1; }
  repo_rows+=("| $where | restore dump2 | $(printf '%.2f' "$secs") | $(echo "$DUMP / 1000000 / $secs" | bc) |")
done

echo "Data: $COUNT objects, $BYTES bytes; radosgw at $ENDPOINT; rclone $(rclone version | head -1 | awk '{print $2}')"
echo "Second ecap-dr backup: objects read and S3 requests sent: $meta"
echo
echo "| tool | run | seconds | MB/s of the data set |"
echo "|---|---|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Repository on local disk vs on this S3 server (the foundation benchmark's 1 GiB dump, then its changed copy):"
echo
echo "| repository | run | seconds | MB/s |"
echo "|---|---|---:|---:|"
printf '%s\n' "${repo_rows[@]}"
