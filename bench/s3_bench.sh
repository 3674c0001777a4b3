#!/usr/bin/env bash
# S3 benchmarks against the peers on the same local radosgw, same data, same run.
#
# lake: the data lake against rclone: 5,000 objects of 1-64 KiB plus five of 50 MB (~430 MB).
#   first:  ecap-dr backup --component s3, ecap-dr s3 mirror --once, rclone sync --transfers 16
#   second: the same after 51 objects changed
# repo: a repository on S3 against restic and the raw download. A 1 GiB SQL dump (dr_gen_dump) is
#   backed up into an ecap-dr repository on local disk, one on S3 and a restic repository on S3,
#   then restored from each (compared with cmp); the packs of the ecap-dr S3 repository are also
#   downloaded with rclone --transfers 16 (the raw limit). Seconds, MB/s of the dump, peak RSS and
#   CPU (cores) per run.
# restore: the restore from S3 alone, repeated (RUNS, default 5): one backup of the 1 GiB dump into
#   an ecap-dr repository on S3 and a restic one, then RUNS rounds of an ecap-dr restore, a restic
#   restore and the raw download of the ecap-dr repository's packs, in turn, so that the machine's
#   load falls on all three alike; medians and the ratios per round.
# open: what a repository of many backups costs each command before its own work (OPEN_N, default
#   200, backups of one line each: as many snapshots and index files) with no summary cache (as on
#   a new host): backup list, backup create and a restore of one small item, with
#   the index files and snapshots read one at a time (io_concurrency 1, as every version before
#   this one did) and at the default (16 on S3).
# scale: lake backups of many small objects (SCALE_N, default 100,000): time, peak RSS and the
#   metadata each backup writes, full and after 1% changed; backup show; a restore (not in "all").
# Prints Markdown tables for docs/BENCHMARKS.md.
#
# Usage: bench/s3_bench.sh [WORK_DIR] [lake|repo|restore|open|scale|all]   (default /tmp/ecap-dr-s3bench, all)
#   BUILD_DIR=build-release keeps the Release build apart from a development build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-s3bench}
PART=${2:-all}
scripts/install-deps.sh --bench
dpkg-query -W -f='${Status}' rclone 2>/dev/null | grep -q "install ok installed" || \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone >/dev/null
BUILD_TARGETS="ecap-dr dr_gen_dump" scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DDR_BUILD_BENCH=ON >/dev/null
BIN=$ROOT/${BUILD_DIR:-build}
DR=$BIN/ecap-dr

rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
BASE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=$("$ROOT/test/servers/radosgw.sh" start "$WORK/rgw" "$BASE" | sed 's/endpoint=//')
trap '"$ROOT/test/servers/radosgw.sh" stop "$WORK/rgw"' EXIT

export RCLONE_CONFIG_RGW_TYPE=s3 RCLONE_CONFIG_RGW_PROVIDER=Ceph RCLONE_CONFIG_RGW_ENDPOINT=$ENDPOINT
export RCLONE_CONFIG_RGW_ACCESS_KEY_ID=TESTKEY RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY=TESTSECRET
RC="env -u AWS_CA_BUNDLE rclone"
export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N); echo "$e - $s" | bc; }

lake_bench() {
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
  echo "Data: $COUNT objects, $BYTES bytes; radosgw at $ENDPOINT; rclone $(rclone version | head -1 | awk '{print $2}')"
  echo "Second ecap-dr backup: objects read and S3 requests sent: $meta"
  echo
  echo "| tool | run | seconds | MB/s of the data set |"
  echo "|---|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
}

# One timed run: seconds, peak RSS (MB) and CPU in cores, from GNU time.
measure() {
  /usr/bin/time -f "%e %M %U %S" -o run.time "$@" >/dev/null 2>run.err || { cat run.err >&2; return 1; }
  awk '{printf "%.2f %d %.2f\n", $1, $2 / 1024, ($3 + $4) / ($1 > 0 ? $1 : 1)}' run.time
}
repo_rows=()
repo_row() {  # tool, run, "seconds rss cores", bytes of input
  read -r secs rss cores <<<"$3"
  repo_rows+=("| $1 | $2 | $secs | $(echo "$4 / 1000000 / $secs" | bc) | $rss | $cores |")
}

# The 1 GiB dump, the buckets of the ecap-dr and restic repositories on S3, and repo-s3.yaml.
dump_and_buckets() {
  "$BIN/bench/dr_gen_dump" dump 1024 dump1.sql
  DUMP=$(stat -c %s dump1.sql)
  $RC mkdir rgw:repo-bucket
  $RC mkdir rgw:restic-bucket
  cat > repo-s3.yaml <<YAML
repository: {type: s3, bucket: repo-bucket, endpoint: $ENDPOINT, region: us-east-1, force_path_style: true,
             access_key_id: TESTKEY, secret_access_key: TESTSECRET}
YAML
}

repo_bench() {
  dump_and_buckets
  "$BIN/bench/dr_gen_dump" change dump1.sql dump2.sql
  cat > repo-local.yaml <<YAML
backup_manager: {backup_dir: "$WORK/repo-local"}
YAML
  for where in local s3; do
    $DR -c repo-$where.yaml -q repo init
    repo_row "ecap-dr, $where repository" "backup dump1" \
      "$(measure sh -c "$DR -c repo-$where.yaml -q backup create --id ${where}_dump1 --stdin dump.sql < dump1.sql")" "$DUMP"
    rm -f restored.sql
    repo_row "ecap-dr, $where repository" "restore dump1" \
      "$(measure sh -c "$DR -c repo-$where.yaml -q restore ${where}_dump1 --item dump.sql --stdout > restored.sql")" "$DUMP"
    cmp -s restored.sql dump1.sql || { echo "restore from the $where repository differs" >&2; exit 1; }
    repo_row "ecap-dr, $where repository" "backup dump2" \
      "$(measure sh -c "$DR -c repo-$where.yaml -q backup create --id ${where}_dump2 --stdin dump.sql < dump2.sql")" "$DUMP"
  done
  # The raw limit: the S3 repository's objects (dump1's packs, then dump2's few new ones) downloaded as they are.
  rm -rf raw; mkdir raw
  raw=$(measure $RC copy rgw:repo-bucket raw --transfers 16)
  RAW_BYTES=$(du -sb raw | cut -f1)
  repo_row "rclone copy --transfers 16 (the S3 repository's objects, as stored)" "download" "$raw" "$DUMP"

  export RESTIC_PASSWORD=bench AWS_ACCESS_KEY_ID=TESTKEY AWS_SECRET_ACCESS_KEY=TESTSECRET
  RS="env -u AWS_CA_BUNDLE restic -q -r s3:$ENDPOINT/restic-bucket"
  $RS init >/dev/null
  repo_row "restic $(restic version | awk '{print $2}'), S3 repository" "backup dump1" \
    "$(measure sh -c "$RS backup --stdin --stdin-filename dump.sql < dump1.sql")" "$DUMP"
  rm -rf rs-out
  repo_row "restic $(restic version | awk '{print $2}'), S3 repository" "restore dump1" \
    "$(measure $RS restore latest --target rs-out)" "$DUMP"
  cmp -s rs-out/dump.sql dump1.sql || { echo "restic's restore differs" >&2; exit 1; }
  repo_row "restic $(restic version | awk '{print $2}'), S3 repository" "backup dump2" \
    "$(measure sh -c "$RS backup --stdin --stdin-filename dump.sql < dump2.sql")" "$DUMP"
  # The restore that matters after a region failure: the newest dump from the replica on S3.
  for where in local s3; do
    rm -f restored.sql
    repo_row "ecap-dr, $where repository" "restore dump2" \
      "$(measure sh -c "$DR -c repo-$where.yaml -q restore ${where}_dump2 --item dump.sql --stdout > restored.sql")" "$DUMP"
    cmp -s restored.sql dump2.sql || { echo "restore from the $where repository differs" >&2; exit 1; }
  done
  rm -rf rs-out
  repo_row "restic $(restic version | awk '{print $2}'), S3 repository" "restore dump2" \
    "$(measure $RS restore latest --target rs-out)" "$DUMP"
  cmp -s rs-out/dump.sql dump2.sql || { echo "restic's restore differs" >&2; exit 1; }

  echo "A 1 GiB SQL dump ($DUMP bytes), then its changed copy; radosgw at $ENDPOINT; $(nproc) cores."
  echo "The S3 repository holds $RAW_BYTES bytes after both backups; 'MB/s' is of the dump (input) throughout."
  echo
  echo "| tool | run | seconds | MB/s | peak RSS (MB) | CPU (cores) |"
  echo "|---|---|---:|---:|---:|---:|"
  printf '%s\n' "${repo_rows[@]}"
}

restore_bench() {
  local runs=${RUNS:-5}
  dump_and_buckets
  $DR -c repo-s3.yaml -q repo init
  $DR -c repo-s3.yaml -q backup create --id dump1 --stdin dump.sql < dump1.sql
  export RESTIC_PASSWORD=bench AWS_ACCESS_KEY_ID=TESTKEY AWS_SECRET_ACCESS_KEY=TESTSECRET
  RS="env -u AWS_CA_BUNDLE restic -q -r s3:$ENDPOINT/restic-bucket"
  $RS init >/dev/null
  $RS backup --stdin --stdin-filename dump.sql < dump1.sql >/dev/null
  echo "| round | ecap-dr restore s, MB/s, RSS MB, cores | restic restore s, MB/s | raw download s | ecap-dr vs restic | ecap-dr vs raw |"
  echo "|---:|---|---|---:|---:|---:|"
  local ours=() theirs=() raws=()
  for i in $(seq 1 "$runs"); do
    rm -f restored.sql  # as restic's target is removed: overwriting a 1 GiB file costs its truncation too
    read -r es erss ecores <<<"$(measure sh -c "$DR -c repo-s3.yaml -q restore dump1 --item dump.sql --stdout > restored.sql")"
    cmp -s restored.sql dump1.sql || { echo "the ecap-dr restore differs" >&2; exit 1; }
    rm -rf rs-out
    read -r rs _ _ <<<"$(measure $RS restore latest --target rs-out)"
    cmp -s rs-out/dump.sql dump1.sql || { echo "restic's restore differs" >&2; exit 1; }
    rm -rf raw; mkdir raw
    read -r raw _ _ <<<"$(measure $RC copy rgw:repo-bucket raw --transfers 16)"
    ours+=("$es"); theirs+=("$rs"); raws+=("$raw")
    echo "| $i | $es, $(echo "$DUMP / 1000000 / $es" | bc), $erss, $ecores | $rs, $(echo "$DUMP / 1000000 / $rs" | bc) | $raw | $(echo "scale=2; $rs / $es" | bc)x | $(echo "scale=0; 100 * $raw / $es" | bc)% |"
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
  local mo=$(median "${ours[@]}") mt=$(median "${theirs[@]}") mr=$(median "${raws[@]}")
  echo
  echo "Medians over $runs rounds: ecap-dr ${mo} s ($(echo "$DUMP / 1000000 / $mo" | bc) MB/s), restic ${mt} s," \
       "raw download of the repository's $(du -sb raw | cut -f1) bytes ${mr} s: $(echo "scale=2; $mt / $mo" | bc)x restic," \
       "$(echo "scale=0; 100 * $mr / $mo" | bc)% of the raw download. A 1 GiB dump ($DUMP bytes); $(nproc) cores."
}

open_bench() {
  local n=${OPEN_N:-200}
  $RC mkdir rgw:many
  cat > many.yaml <<YAML
repository: {type: s3, bucket: many, endpoint: $ENDPOINT, region: us-east-1, force_path_style: true,
             access_key_id: TESTKEY, secret_access_key: TESTSECRET}
YAML
  # Neither dr_coordinator nor audit configured: no event history, so no summary cache (a new host's).
  { echo "backup_manager: {io_concurrency: 1}"; cat many.yaml; } > many1.yaml
  $DR -c many.yaml -q repo init
  for i in $(seq 1 "$n"); do echo "row $i" | $DR -c many.yaml -q backup create --id "b$i" --stdin t.txt >/dev/null; done
  echo "| command, $n backups | one at a time (io_concurrency 1) | at the default | peak RSS (MB) |"
  echo "|---|---:|---:|---:|"
  for cmd in "backup list" "backup create" "restore"; do
    local a b
    case $cmd in
      "backup list") a=$(measure $DR -c many1.yaml -q backup list); b=$(measure $DR -c many.yaml -q backup list) ;;
      "backup create") a=$(echo x | measure $DR -c many1.yaml -q backup create --stdin t.txt)
                       b=$(echo y | measure $DR -c many.yaml -q backup create --stdin t.txt) ;;
      restore) a=$(measure $DR -c many1.yaml -q restore b1 --item t.txt --stdout)
               b=$(measure $DR -c many.yaml -q restore b1 --item t.txt --stdout) ;;
    esac
    echo "| $cmd | $(echo "$a" | cut -d' ' -f1) s | $(echo "$b" | cut -d' ' -f1) s | $(echo "$b" | cut -d' ' -f2) |"
  done
}

# scale: memory and metadata of lake backups as the object count grows (issue 15). N objects of
# 1-4 KiB (SCALE_N, default 100,000) under 100 prefixes; a full backup, 1% of the objects rewritten,
# an incremental backup, `backup show`, and a restore into another bucket (counted); rclone sync beside.
scale_bench() {
  local n=${SCALE_N:-100000}
  for b in scale scale-rclone scale-restored; do $RC mkdir "rgw:$b"; done
  python3 - "$n" <<'PY'
import os, random, sys
n = int(sys.argv[1]); random.seed(7)
for i in range(n):
    d = f"scale/events/p{i % 100:03d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/obj-{i:07d}.json", "wb") as f: f.write(os.urandom(random.randint(1024, 4096)))
PY
  $RC copy scale rgw:scale --transfers 32 >/dev/null 2>&1
  cat > scale.yaml <<YAML
backup_manager: {backup_dir: "$WORK/scale-repo"}
s3: {endpoint: $ENDPOINT, region: us-east-1, force_path_style: true, access_key_id: TESTKEY,
     secret_access_key: TESTSECRET, buckets: [scale]}
YAML
  $DR -c scale.yaml -q repo init
  local rows=()
  scale_row() {  # what, "seconds rss cores", metadata written
    read -r secs rss cores <<<"$2"
    rows+=("| $1 | $secs | $rss | $cores | $3 |")
    echo "${rows[-1]}" >&2
  }
  metadata() { $DR -c scale.yaml --json backup show "$1" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["metadata_bytes"] / 1e6, 1), "MB")'; }
  scale_row "ecap-dr backup, full" "$(measure $DR -c scale.yaml -q backup create --id full --component s3)" "$(metadata full)"
  scale_row "rclone sync --transfers 16, first" "$(measure $RC sync rgw:scale rgw:scale-rclone --transfers 16)" "-"
  python3 - "$n" <<'PY'
import os, sys
n = int(sys.argv[1])
for i in range(0, n, 100):
    with open(f"scale/events/p{i % 100:03d}/obj-{i:07d}.json", "wb") as f: f.write(os.urandom(2048))
PY
  $RC copy scale rgw:scale --transfers 32 >/dev/null 2>&1
  scale_row "ecap-dr backup, after 1% changed" "$(measure $DR -c scale.yaml -q backup create --id second --component s3)" "$(metadata second)"
  scale_row "rclone sync --transfers 16, after 1% changed" "$(measure $RC sync rgw:scale rgw:scale-rclone --transfers 16)" "-"
  scale_row "ecap-dr backup show" "$(measure $DR -c scale.yaml -q backup show second)" "-"
  scale_row "ecap-dr restore --target-bucket" "$(measure $DR -c scale.yaml -q restore second --component s3 --target-bucket scale-restored)" "-"
  local restored=$($RC size rgw:scale-restored --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$restored" = "$n" ] || { echo "the restore put back $restored objects of $n" >&2; exit 1; }
  local read=$($DR -c scale.yaml --json backup show second | python3 -c 'import json,sys; m=json.load(sys.stdin)["components"]["s3"]["meta"]; print(m["objects_read"], m["requests"])')
  echo "$n objects of 1-4 KiB under 100 prefixes; radosgw at $ENDPOINT; $(nproc) cores."
  echo "Second backup: objects read and S3 requests sent: $read. The restore put back $restored objects."
  echo
  echo "| run | seconds | peak RSS (MB) | CPU (cores) | metadata written |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
}

case $PART in
  lake) lake_bench ;;
  repo) repo_bench ;;
  restore) restore_bench ;;
  open) open_bench ;;
  scale) scale_bench ;;
  all) lake_bench; echo; repo_bench ;;
  *) echo "unknown part '$PART' (lake, repo, restore, open, scale or all)" >&2; exit 2 ;;
esac
