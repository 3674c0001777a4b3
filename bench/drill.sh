#!/usr/bin/env bash
# Failover drill: measures RTO (SIGKILL of the primary -> a write through the
# DNS name succeeds) and RPO (acknowledged commits lost) over N runs of
# `ecap-dr monitor` with a 1 s check interval and a failure threshold of 3.
# Each run builds PostgreSQL 15 primary (127.0.0.10) + streaming standby
# (127.0.0.20) and BIND 9 (db.platform.test -> 127.0.0.10) from scratch;
# pgbench loads the primary (4 clients) while a writer commits one row at a
# time and records each acknowledged id.
#   MODE=async (default): the standby streams asynchronously
#   MODE=sync: synchronous_standby_names = '*' (no acknowledged commit may be lost)
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: [MODE=async|sync] bench/drill.sh [RUNS] [WORK_DIR]    (default 10 /tmp/ecap-dr-drill)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${1:-10}
WORK=${2:-/tmp/ecap-dr-drill}
MODE=${MODE:-async}
scripts/install-deps.sh
BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
DR=$ROOT/build/ecap-dr
source scripts/platform.sh

rows=()
run_once() {
  local n=$1 R=$WORK/run$1
  local B=$R/pg N=$R/bind
  rm -rf "$R"; mkdir -p "$R" "$N"; chmod 755 "$WORK" "$R"
  platform_pg "$B" "$([[ $MODE == sync ]] && echo "synchronous_standby_names = '*'")"
  local P=$PG_PORT
  psql -h 127.0.0.10 -p "$P" -U postgres -qc "create table t (id bigserial primary key, at timestamptz default clock_timestamp())"
  $PGBIN/pgbench -h 127.0.0.10 -p "$P" -U postgres -i -s 5 -q postgres >/dev/null 2>&1
  platform_bind "$N"
  local D=$DNS_PORT NAMED=$NAMED_PID

  cat > "$R/ecap.yaml" <<YAML
dr_coordinator:
  check_interval_seconds: 1
  failure_threshold: 3
  auto_failover: true
  state_dir: "$R/state"
  services:
    - {name: orders-db, type: postgresql, timeout_seconds: 1,
       primary: "host=127.0.0.10 port=$P user=postgres dbname=postgres",
       standby: "host=127.0.0.20 port=$P user=postgres dbname=postgres"}
  failover:
    fence_command: "kill -9 \$(head -1 $B/primary/postmaster.pid) 2>/dev/null; true"
    dns: {server: "127.0.0.1:$D", zone: platform.test, record: db.platform.test, ttl: 1, tsig_key_file: "$N/ddns.key"}
YAML
  "$DR" -c "$R/ecap.yaml" -q monitor --max-seconds 120 >"$R/monitor.log" 2>&1 &
  local MON=$!
  # The writer: one committed row at a time; each acknowledged id is recorded.
  ( while true; do
      id=$(psql -h 127.0.0.10 -p "$P" -U postgres -Atqc "insert into t default values returning id" 2>/dev/null) || break
      echo "$id $(now)" > "$R/acked.tmp" && mv "$R/acked.tmp" "$R/acked"
    done ) &
  local WRITER=$!
  # Load: pgbench, 4 clients, while the primary lives.
  $PGBIN/pgbench -h 127.0.0.10 -p "$P" -U postgres -c 4 -j 2 -T 60 postgres >"$R/pgbench.log" 2>&1 &
  local BENCH=$!
  sleep 4
  local killed; killed=$(now)
  kill -9 "$(head -1 "$B/primary/postmaster.pid")"
  local ok=""
  while [[ -z $ok ]]; do
    if [[ $(dig @127.0.0.1 -p "$D" +short db.platform.test A) == 127.0.0.20 ]] &&
       timeout 2 psql -h "$(dig @127.0.0.1 -p "$D" +short db.platform.test A)" -p "$P" -U postgres -qc "insert into t default values" 2>/dev/null; then
      ok=$(now)
    elif (( $(echo "$(now) - $killed > 60" | bc) )); then
      ok=timeout
    fi
    sleep 0.05
  done
  wait "$WRITER" 2>/dev/null || true
  wait "$BENCH" 2>/dev/null || true
  kill "$MON" 2>/dev/null; wait "$MON" 2>/dev/null || true
  local rto="timeout" lost="?" rpo="?"
  if [[ $ok != timeout ]]; then
    rto=$(printf '%.2f' "$(echo "$ok - $killed" | bc)")
    read -r acked acked_at < "$R/acked"
    # Rows the old primary acknowledged that the new one does not have; and how long before the crash the last kept one was.
    local kept; kept=$(psql -h 127.0.0.20 -p "$P" -U postgres -Atqc "select coalesce(max(id), 0) from t where id <= $acked")
    lost=$(psql -h 127.0.0.20 -p "$P" -U postgres -Atqc "select $acked - count(*) from t where id <= $acked")
    rpo=$(psql -h 127.0.0.20 -p "$P" -U postgres -Atqc "select round(greatest(0, $acked_at - extract(epoch from (select at from t where id = $kept)))::numeric * ($lost > 0)::int, 3)")
  fi
  local reported; reported=$("$DR" -c "$R/ecap.yaml" --json events --type failover_completed |
    python3 -c 'import json,sys; e=json.load(sys.stdin)["events"]; d=e[0]["data"] if e else {}; print("%.2f s / %s s" % (d.get("rto_seconds", -1), d.get("rpo_seconds", "?")))')
  rows+=("| $n | $MODE | $rto | $lost | $rpo | $reported |")
  as_pg $PGBIN/pg_ctl -D "$B/standby" -m immediate -w stop >/dev/null 2>&1 || true
  kill "$NAMED" 2>/dev/null; wait "$NAMED" 2>/dev/null || true
  echo "run $n: RTO $rto s, lost commits $lost, RPO $rpo s, coordinator reported $reported" >&2
}

mkdir -p "$WORK"
for i in $(seq 1 "$RUNS"); do run_once "$i"; done
echo "| run | standby | RTO (kill -> write via DNS), s | acknowledged commits lost | RPO, s | coordinator's RTO / RPO |"
echo "|---:|---|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
