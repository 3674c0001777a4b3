#!/usr/bin/env bash
# PostgreSQL benchmark: ecap-dr against pg_dump and pgBackRest 2.45 on the same
# server in the same run. A pgbench database of scale 40 (~600 MB):
#   logical:  ecap-dr backup --component postgresql   vs  pg_dump -Fc (and -Fc -Z0) to /dev/null
#   physical: ecap-dr backup --physical and restore   vs  pgbackrest full backup and restore
#             (zstd 3, aes-256-cbc, process-max 2)
#   WAL:      ecap-dr wal push of one 16 MB segment   vs  pgbackrest archive-push (median of real segments)
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/pg_bench.sh [WORK_DIR] [SCALE]     (defaults: /tmp/ecap-dr-pgbench, 40)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-pgbench}
SCALE=${2:-40}
scripts/install-deps.sh
dpkg-query -W -f='${Status}' pgbackrest 2>/dev/null | grep -q "install ok installed" || \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null
BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
DR=$ROOT/build/ecap-dr
PGBIN=/usr/lib/postgresql/15/bin

rm -rf "$WORK"; mkdir -p "$WORK"; chmod 755 "$WORK"; cd "$WORK"
mkdir pg walcopy pgbr-repo restore-dr restore-br && chown postgres:postgres pg walcopy pgbr-repo restore-dr restore-br
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { runuser -u postgres -- "$@"; }
as_pg $PGBIN/initdb -D pg/data -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
cat >> pg/data/postgresql.conf <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK/pg'
wal_level = replica
max_wal_senders = 4
archive_mode = on
archive_command = 'cp %p $WORK/walcopy/%f'
CONF
echo "host replication all 127.0.0.1/32 trust" >> pg/data/pg_hba.conf
as_pg $PGBIN/pg_ctl -D pg/data -l pg/server.log -w -t 30 start >/dev/null
trap 'as_pg $PGBIN/pg_ctl -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1 || true' EXIT
$PGBIN/createdb -h 127.0.0.1 -p "$PORT" -U postgres bench
$PGBIN/pgbench -h 127.0.0.1 -p "$PORT" -U postgres -i -s "$SCALE" -q bench >/dev/null 2>&1
$PGBIN/psql -h 127.0.0.1 -p "$PORT" -U postgres -d bench -Atc "checkpoint; select pg_switch_wal()" >/dev/null
DBSIZE=$($PGBIN/psql -h 127.0.0.1 -p "$PORT" -U postgres -d bench -Atc "select pg_database_size('bench')")

export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
cat > ecap.yaml <<YAML
backup_manager: {backup_dir: "$WORK/ecap-repo"}
postgresql: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres}
YAML
cat > pgbackrest.conf <<CONF
[global]
repo1-path=$WORK/pgbr-repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=bench-cipher-pass
compress-type=zst
compress-level=3
process-max=2
start-fast=y
archive-check=n
log-level-console=error
log-path=$WORK/pgbr-repo
lock-path=$WORK/pgbr-repo

[bench]
pg1-path=$WORK/pg/data
pg1-port=$PORT
pg1-socket-path=$WORK/pg
pg1-user=postgres
CONF
chown postgres:postgres pgbackrest.conf
BR="runuser -u postgres -- env PGBACKREST_CONFIG=$WORK/pgbackrest.conf pgbackrest --stanza=bench"
$BR stanza-create >/dev/null
$DR -c ecap.yaml -q repo init

# t CMD...: seconds (wall) of one run.
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N); echo "$e - $s" | bc; }
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }
mb() { echo "scale=1; $1 / 1000000" | bc; }

sync
s_dump=$(t sh -c "$PGBIN/pg_dump -h 127.0.0.1 -p $PORT -U postgres -Fc -d bench > /dev/null")
s_dump0=$(t sh -c "$PGBIN/pg_dump -h 127.0.0.1 -p $PORT -U postgres -Fc -Z0 -d bench > /dev/null")
s_logical=$(t $DR -c ecap.yaml -q backup create --id logical --component postgresql)
row "pg_dump -Fc > /dev/null" "logical backup" "$s_dump" "-"
row "pg_dump -Fc -Z0 > /dev/null" "logical backup" "$s_dump0" "-"
row "ecap-dr backup --component postgresql" "logical backup" "$s_logical" "$(mb $(du -sb ecap-repo | cut -f1))"

before=$(du -sb ecap-repo | cut -f1)
s_phys=$(t $DR -c ecap.yaml -q backup create --id physical --component postgresql --physical)
after=$(du -sb ecap-repo | cut -f1)
s_br=$(t $BR --type=full backup)
row "ecap-dr backup --physical" "physical backup" "$s_phys" "$(mb $((after - before)))"
row "pgbackrest backup --type=full" "physical backup" "$s_br" "$(mb $(du -sb pgbr-repo/backup | cut -f1))"
s_rphys=$(t $DR -c ecap.yaml -q restore physical --component postgresql --pgdata "$WORK/restore-dr/data")
s_rbr=$(t $BR --pg1-path="$WORK/restore-br/data" restore)
row "ecap-dr restore --pgdata" "physical restore" "$s_rphys" "-"
row "pgbackrest restore" "physical restore" "$s_rbr" "-"

# WAL: the same real 16 MB segments through both tools, one process per segment as PostgreSQL calls them.
segs=$(ls walcopy | grep -E '^[0-9A-F]{24}$' | head -8)
dr_times=(); br_times=()
mkdir -p pg_wal_copy && chown postgres:postgres pg_wal_copy
n=0
for s in $segs; do
  cp "walcopy/$s" "pg_wal_copy/$s"; chown postgres:postgres "pg_wal_copy/$s"
  # Flush the copy first (ext4 would make the first fsync pay for it) and alternate who goes first.
  sync
  if (( n++ % 2 == 0 )); then
    dr_times+=("$(t $DR -c ecap.yaml wal push "$WORK/pg_wal_copy/$s")")
    br_times+=("$(t $BR archive-push "$WORK/pg_wal_copy/$s")")
  else
    br_times+=("$(t $BR archive-push "$WORK/pg_wal_copy/$s")")
    dr_times+=("$(t $DR -c ecap.yaml wal push "$WORK/pg_wal_copy/$s")")
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
row "ecap-dr wal push (zstd 1, AES-256-GCM)" "WAL push, median of $(echo $segs | wc -w)" "$(median "${dr_times[@]}")" "-"
row "pgbackrest archive-push (zst 3, aes-256-cbc)" "WAL push, median of $(echo $segs | wc -w)" "$(median "${br_times[@]}")" "-"

echo "Database: pgbench scale $SCALE, $(mb "$DBSIZE") MB; PostgreSQL $($PGBIN/postgres --version | awk '{print $3}'); pgBackRest $(pgbackrest version | awk '{print $2}')"
echo
echo "| tool | case | seconds | repository (MB) |"
echo "|---|---|---:|---:|"
printf '%s\n' "${rows[@]}"
