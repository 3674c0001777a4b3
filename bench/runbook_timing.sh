#!/usr/bin/env bash
# Runbook timing: the database-failure and data-corruption runbooks executed
# for real with --auto-execute --skip-confirmations on the coordinator's
# platform (scripts/platform.sh, built from scratch for every run), per step,
# against the guide's estimates (68 and 100 minutes; the goal is under a
# tenth of each).
#   database_failure: primary killed (SIGKILL) under no load, then the runbook
#     (health check, failover: fence, promote, DNS compare-and-swap, checks, report)
#   data_corruption: 200,000 rows, a physical backup, 50,000 more rows (in the
#     WAL archive only), then 10% of all rows damaged and 1% deleted; the
#     runbook recovers the backup + WAL to just before the damage in a scratch
#     server and puts the rows back
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/runbook_timing.sh [RUNS] [WORK_DIR]    (default 5 /tmp/ecap-dr-runbook-timing)
# DR=path/to/ecap-dr uses that binary (default build/ecap-dr, built as Release if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${1:-5}
WORK=${2:-/tmp/ecap-dr-runbook-timing}
DR=${DR:-$ROOT/build/ecap-dr}
if [[ ! -x $DR ]]; then
  scripts/install-deps.sh
  BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
source scripts/platform.sh
mkdir -p "$WORK"; chmod 755 "$WORK"

database_failure() {
  local R=$WORK/db$1
  rm -rf "$R"; mkdir -p "$R/bind"; chmod 755 "$R"
  platform_pg "$R/pg"
  platform_bind "$R/bind"
  psql -h 127.0.0.10 -p "$PG_PORT" -U postgres -qc "create table orders (id bigserial primary key, note text)"
  cat > "$R/ecap.yaml" <<YAML
audit: {log_file: "$R/state/audit.log"}
dr_coordinator:
  state_dir: "$R/state"
  services:
    - {name: orders-db, type: postgresql, timeout_seconds: 1,
       primary: "host=127.0.0.10 port=$PG_PORT user=postgres dbname=postgres",
       standby: "host=127.0.0.20 port=$PG_PORT user=postgres dbname=postgres"}
  failover:
    fence_command: "kill -9 \$(head -1 $R/pg/primary/postmaster.pid) 2>/dev/null; true"
    dns: {server: "127.0.0.1:$DNS_PORT", zone: platform.test, record: db.platform.test, ttl: 1, tsig_key_file: "$R/bind/ddns.key"}
YAML
  until [[ $(psql -h 127.0.0.20 -p "$PG_PORT" -U postgres -Atc "select count(*) from pg_class where relname = 'orders'") == 1 ]]; do sleep 0.05; done
  kill -9 "$(head -1 "$R/pg/primary/postmaster.pid")"
  "$DR" -c "$R/ecap.yaml" --json runbook run database_failure --auto-execute --skip-confirmations \
    --param service=orders-db </dev/null > "$WORK/database_failure.$1.json" || { cat "$WORK/database_failure.$1.json"; exit 1; }
  platform_stop "$R/pg"
}

data_corruption() {
  local R=$WORK/dc$1
  rm -rf "$R"; mkdir -p "$R/keys" "$R/repo" "$R/scratch"; chmod 755 "$R"
  cat > "$R/ecap.yaml" <<YAML
backup_manager: {backup_dir: "$R/repo"}
encryption: {auto_generate_key: true, key_file: "$R/keys/master.key"}
YAML
  "$DR" -c "$R/ecap.yaml" -q repo init
  # PostgreSQL runs wal push: it reads the key and writes the repository. (No audit
  # log here: root's and postgres's records would share one file.)
  chown -R postgres:postgres "$R/repo" "$R/keys" "$R/scratch"
  platform_pg "$R/pg" "archive_mode = on
archive_timeout = 10
archive_command = '$DR -c $R/ecap.yaml wal push %p'"
  cat >> "$R/ecap.yaml" <<YAML
postgresql: {host: 127.0.0.10, port: $PG_PORT, database: postgres, username: postgres}
YAML
  local q="psql -h 127.0.0.10 -p $PG_PORT -U postgres -Atqc"
  $q "create table orders (id int primary key, customer text, amount numeric, meta jsonb)"
  $q "insert into orders select g, 'c' || g, g * 1.5, jsonb_build_object('n', g) from generate_series(1, 200000) g"
  "$DR" -c "$R/ecap.yaml" -q backup create --component postgresql --physical
  $q "insert into orders select g, 'c' || g, g * 1.5, jsonb_build_object('n', g) from generate_series(200001, 250000) g"
  local t; t=$($q "select clock_timestamp()::text")
  $q "update orders set amount = 0, customer = 'X' where id % 10 = 0"
  $q "delete from orders where id % 100 = 1"
  local seg; seg=$($q "select pg_walfile_name(pg_switch_wal())")
  until [[ $($q "select coalesce(last_archived_wal, '') >= '$seg' from pg_stat_archiver") == t ]]; do sleep 0.1; done
  "$DR" -c "$R/ecap.yaml" --json runbook run data_corruption --auto-execute --skip-confirmations \
    --param "corruption_time=$t" --param tables=orders --param "scratch_dir=$R/scratch/data" </dev/null \
    > "$WORK/data_corruption.$1.json" || { cat "$WORK/data_corruption.$1.json"; exit 1; }
  platform_stop "$R/pg"
}

for name in database_failure data_corruption; do
  printf "backup_manager: {backup_dir: %s/none}\n" "$WORK" > "$WORK/show.yaml"
  "$DR" -c "$WORK/show.yaml" --json runbook show "$name" > "$WORK/$name.show.json"
done
for i in $(seq 1 "$RUNS"); do
  database_failure "$i"; echo "run $i: database_failure done" >&2
  data_corruption "$i"; echo "run $i: data_corruption done" >&2
done

python3 - "$WORK" "$RUNS" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
for name in ("database_failure", "data_corruption"):
    logs = [json.load(open(f"{work}/{name}.{i}.json")) for i in range(1, runs + 1)]
    show = json.load(open(f"{work}/{name}.show.json"))
    steps = {s["id"]: [s["estimated_minutes"], []] for s in show["steps"]}
    for log in logs:
        assert log["execution_log"]["overall_status"] == "completed", log
        for s in log["execution_log"]["steps"]:
            steps[s["id"]][1].append(s["duration_seconds"])
    totals = [l["execution_log"]["duration_seconds"] for l in logs]
    estimate = show["estimated_minutes"]
    print(f"\n`{name}`, {runs} runs, guide's estimate {estimate:g} min:\n")
    print("| step | guide's estimate | median, s | max, s |")
    print("|---|---:|---:|---:|")
    for sid, (est, d) in steps.items():
        print(f"| {sid} | {est:g} min | {statistics.median(d):.3f} | {max(d):.3f} |")
    print(f"| **whole runbook** | **{estimate:g} min** | **{statistics.median(totals):.2f}** | **{max(totals):.2f}** "
          f"(= {max(totals) / (estimate * 60) * 100:.2f}% of the estimate) |")
PY
