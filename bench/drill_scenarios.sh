#!/usr/bin/env bash
# The disruptive drill scenarios, measured: `ecap-dr drill --scenario S
# --disruptive --json` run RUNS times each on the sandbox platform of
# scripts/demo.sh (PostgreSQL 15 primary + synchronous standby, BIND 9, Ceph
# radosgw with the lake and its mirror; scripts/platform.sh), release build.
# Prints per scenario the runs passed, the median and max RTO and RPO, and the
# acknowledged writes lost (median and max), as a Markdown table for
# docs/BENCHMARKS.md; every run's document is kept under WORK_DIR/results.
#
#   corruption, breach: one platform with a physical backup and WAL archiving, RUNS drills
#   storage: a new lake bucket and mirror for each run (the drill loses the bucket)
#   region: the database, DNS, lake, mirror, repository (replicated to a bucket) and Kafka (the
#           mock, 3 brokers, taken down by the fault, and a mock of one broker in the backup
#           region, where the runbook restores Kafka) built anew for each run
#   database: the database and DNS built anew for each run (the drill fails the primary over)
#
# Usage: [BUILD_DIR=build-release] [SCENARIOS="corruption breach storage region database"]
#        bench/drill_scenarios.sh [WORK_DIR] [RUNS] [DATABASE_RUNS]   (default /tmp/ecap-dr-scenarios 5 50)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-scenarios}
RUNS=${2:-5}
DB_RUNS=${3:-50}
BUILD_DIR=${BUILD_DIR:-build-release}
SCENARIOS=" ${SCENARIOS:-corruption breach storage region database} "
wanted() { [[ $SCENARIOS == *" $1 "* ]]; }
scripts/install-deps.sh >/dev/null
BUILD_DIR=$BUILD_DIR BUILD_TYPE=Release BUILD_TARGETS="ecap-dr kafka_mock" scripts/build.sh >/dev/null
DR=$ROOT/$BUILD_DIR/ecap-dr
KAFKA_MOCK=$ROOT/$BUILD_DIR/test/kafka_mock
source scripts/platform.sh

rm -rf "$WORK"; mkdir -p "$WORK/results"; chmod 755 "$WORK"
trap 'platform_stop "$WORK/pg"' EXIT
trap 'exit 130' INT TERM
export ECAP_DR_CONFIG=$WORK/ecap-dr.yaml

# The database and DNS of the platform, with a shop database and archiving.
start_database() {
  platform_stop_pg "$WORK/pg"  # radosgw stays
  rm -rf "$WORK/pg" "$WORK/dns" "$WORK/state/state.json"
  platform_pg "$WORK/pg" "fsync = off
archive_mode = on
synchronous_standby_names = '*'"
  local psql="$PGBIN/psql -X -At -h 127.0.0.10 -p $PG_PORT -U postgres"
  $psql -c "create database shop" >/dev/null
  $PGBIN/pgbench -h 127.0.0.10 -p "$PG_PORT" -U postgres -i -s 5 -q shop >/dev/null 2>&1
  for _ in $(seq 300); do
    [[ $($psql -c "select sync_state from pg_stat_replication") == sync ]] && break
    sleep 0.1
  done
  platform_bind "$WORK/dns"
}

# A new lake bucket and mirror (named after N), with a few objects, in the configuration.
new_lake() {
  local n=$1
  s3 -X PUT "$S3_ENDPOINT/lake-$n" >/dev/null
  s3 -X PUT "$S3_ENDPOINT/mirror-$n" >/dev/null
  for i in $(seq 1 20); do
    echo "{\"event\":$i}" | s3 -X PUT --data-binary @- "$S3_ENDPOINT/lake-$n/events/part-$i.json" >/dev/null
  done
  platform_config "$WORK" "lake-$n" "mirror-$n" > "$ECAP_DR_CONFIG"
  rm -f "$WORK/state/state.json"  # the lake is served from the new bucket
}

# One drill; its document is kept, its RTO, RPO, lost writes and status appended to WORK/SCENARIO.tsv.
drill() {
  local scenario=$1 n=$2 out="$WORK/results/$1-$2.json"
  "$DR" -q --json drill --scenario "$scenario" --disruptive > "$out" 2>"$WORK/results/$1-$2.err" || true
  python3 - "$out" >> "$WORK/$scenario.tsv" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    d = {}
lost = d.get('writes', {}).get('lost', -1)
if lost >= 0:  # the region scenario's other stores
    lost += d.get('lake_writes', {}).get('lost', 0) + d.get('kafka_writes', {}).get('lost', 0)
print(f"{d.get('status', 'error')}\t{d.get('rto_seconds', -1)}\t{d.get('rpo_seconds', -1)}\t{lost}")
PY
}

platform_rgw "$WORK/rgw"
start_database
new_lake 0
psql_shop="$PGBIN/psql -X -At -h 127.0.0.10 -p $PG_PORT -U postgres"
"$DR" -q repo init >/dev/null
if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$WORK/repo" "$WORK/keys" "$WORK/state"; fi
$psql_shop -c "alter system set archive_command = '$DR -c $ECAP_DR_CONFIG wal push %p'" -c "select pg_reload_conf()" >/dev/null
"$DR" -q backup create --component postgresql --physical >/dev/null

wanted corruption && for n in $(seq 1 "$RUNS"); do drill corruption "$n"; done
wanted breach && for n in $(seq 1 "$RUNS"); do drill breach "$n"; done
wanted storage && for n in $(seq 1 "$RUNS"); do
  new_lake "$n"
  "$DR" -q s3 mirror --once >/dev/null
  drill storage "$n"
done
wanted region && for n in $(seq 1 "$RUNS"); do
  start_database
  new_lake "r$n"
  s3 -X PUT "$S3_ENDPOINT/replica-$n" >/dev/null
  platform_stop_kafka
  platform_kafka "$WORK/kafka" orders:3 ecap_dr_drill_writes:1
  platform_kafka_backup_region "$WORK/kafka-dr" orders:3 ecap_dr_drill_writes:1
  platform_config "$WORK" "lake-r$n" "mirror-r$n" "replica-$n" \
    "; printf 'down 1\\\\ndown 2\\\\ndown 3\\\\n' > '$KAFKA_DIR/control'" > "$ECAP_DR_CONFIG"
  printf 'kafka: {bootstrap_servers: "%s", topics: [orders], consumer_groups: [none], timeout_seconds: 3}\n' \
    "$KAFKA_BOOTSTRAP" >> "$ECAP_DR_CONFIG"
  rm -rf "$WORK/repo" "$WORK/repo-lost-with-the-region"
  "$DR" -q repo init >/dev/null
  "$DR" -q backup create --component postgresql --component s3 >/dev/null
  "$DR" -q s3 mirror --once >/dev/null
  drill region "$n"
done
wanted database && for n in $(seq 1 "$DB_RUNS"); do
  start_database
  platform_config "$WORK" "lake-$RUNS" "mirror-$RUNS" > "$ECAP_DR_CONFIG"
  drill database "$n"
done

echo "| scenario | runs | passed | RTO median | RTO max | RPO median | RPO max | lost writes median / max |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for scenario in corruption breach storage region database; do
  [[ -f "$WORK/$scenario.tsv" ]] || continue  # no run asked for
  python3 - "$WORK/$scenario.tsv" "$scenario" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().split("\n") if line]
passed = [r for r in rows if r[0] == "passed"]
rto = [float(r[1]) for r in rows if float(r[1]) >= 0]
rpo = [float(r[2]) for r in rows if float(r[2]) >= 0]
lost = [int(r[3]) for r in rows if int(r[3]) >= 0]
f = lambda xs, g: f"{g(xs):.2f} s" if xs else "-"
print(f"| {sys.argv[2]} | {len(rows)} | {len(passed)} | {f(rto, statistics.median)} | {f(rto, max)} | "
      f"{f(rpo, statistics.median)} | {f(rpo, max)} | "
      f"{(str(int(statistics.median(lost))) + ' / ' + str(max(lost))) if lost else '-'} |")
PY
done
