#!/usr/bin/env bash
# The main job of the README: an end-to-end backup and recovery run on a local
# sandbox that this script builds itself. It installs what is needed, builds
# ecap-dr, generates sample e-commerce data, then: creates an encrypted
# repository (with a generated master key), backs the data up, changes it and
# backs it up again (deduplicated), verifies both backups fully, runs a
# non-disruptive recovery drill (restore into scratch targets, checked and
# timed, then removed), simulates the
# loss of the data, restores it and proves every byte came back, and checks the
# whole repository. It exits non-zero if any step fails.
#
# PostgreSQL is part of it: the script starts a PostgreSQL 15 server of its own
# in the sandbox (on a free loopback port), fills a shop database, backs it up
# with the files, drops it, restores it and compares every table.
#
# Usage: scripts/demo.sh [SANDBOX_DIR]     (default: a new directory under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

scripts/install-deps.sh
echo "== building ecap-dr"
BUILD_TARGETS=ecap-dr scripts/build.sh >/dev/null
DR="$ROOT/build/ecap-dr"

SANDBOX=${1:-$(mktemp -d /tmp/ecap-dr-demo-XXXXXX)}
mkdir -p "$SANDBOX"
cd "$SANDBOX"
rm -rf data repo keys restore ecap-dr.yaml
echo "== sandbox: $SANDBOX"

# A PostgreSQL server of the demo's own (initdb and pg_ctl refuse root: run them as postgres).
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chmod 755 "$SANDBOX"
rm -rf pg && mkdir pg && chown postgres:postgres pg
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg $PGBIN/initdb -D pg/data -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s/pg'\nfsync = off\n" "$PGPORT" "$SANDBOX" >> pg/data/postgresql.conf
as_pg $PGBIN/pg_ctl -D pg/data -l pg/server.log -w -t 30 start >/dev/null
trap 'as_pg $PGBIN/pg_ctl -D "$SANDBOX/pg/data" -m fast -w stop >/dev/null 2>&1 || true' EXIT
PSQL="$PGBIN/psql -X -At -h 127.0.0.1 -p $PGPORT -U postgres"
$PSQL -c "create database shop" >/dev/null
$PGBIN/pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -i -s 5 -q shop >/dev/null 2>&1
$PSQL -d shop -c "create table orders as select g as id, 'customer ' || (g % 997) as customer,
  (g * 7 % 10000) / 100.0 as amount, now() - (g || ' minutes')::interval as created,
  jsonb_build_object('channel', (array['web','app','store'])[1 + g % 3]) as attrs
  from generate_series(1, 50000) g" >/dev/null
shop_sums() {
  for t in pgbench_accounts pgbench_branches pgbench_tellers orders; do
    $PSQL -d shop -c "select '$t ' || count(*) || ' ' || md5(string_agg(x::text, '|' order by x::text)) from $t x"
  done
}
sums_before=$(shop_sums)
echo "PostgreSQL 15 running on 127.0.0.1:$PGPORT with database 'shop'"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

# Sample data: a platform's configuration and an orders export with varied rows.
mkdir -p data/etc/ecap data/exports
cat > data/etc/ecap/pipeline.yaml <<'YAML'
kafka: {bootstrap_servers: "broker1:9092", topics: [orders, clickstream]}
warehouse: {schema: analytics, refresh_minutes: 15}
YAML
python3 - <<'PY'
import json, random
random.seed(7)
cities = ["Berlin", "Paris", "Tokyo", "Austin", "Lagos", "Lima", "Oslo", "Pune"]
with open("data/exports/orders.csv", "w") as f:
    f.write("order_id,customer_id,city,amount_eur,created_at,attrs\n")
    for i in range(120000):
        attrs = json.dumps({"channel": random.choice(["web", "app", "store"]), "items": random.randint(1, 9)})
        f.write(f"{i},{random.randint(1, 40000)},{random.choice(cities)},{random.randint(100, 99999) / 100},"
                f"2026-11-{random.randint(1, 26):02d}T{random.randint(0, 23):02d}:{random.randint(0, 59):02d}:00Z,\"{attrs}\"\n")
PY
head -c 4000000 /dev/urandom > data/exports/images.bin

cat > ecap-dr.yaml <<YAML
backup_manager:
  backup_dir: "$SANDBOX/repo"
  retention_policies: {daily: 7, weekly: 4, monthly: 12}
encryption:
  enabled: true
  auto_generate_key: true
  key_file: "$SANDBOX/keys/backup.key"
files:
  paths: ["$SANDBOX/data"]
postgresql:
  host: 127.0.0.1
  port: $PGPORT
  database: shop
  username: postgres
YAML
export ECAP_DR_CONFIG="$SANDBOX/ecap-dr.yaml"

step "validate the configuration" "$DR" config check
step "create the encrypted repository (generates the master key)" "$DR" repo init
step "first backup (files and PostgreSQL)" "$DR" backup create --id demo_backup_1 --tag daily
# Change 1% of the data: append rows, as a day of new orders would.
tail -n 1200 data/exports/orders.csv | sed 's/^/9/' >> data/exports/orders.csv
$PSQL -d shop -c "insert into orders select id + 50000, customer, amount, created, attrs from orders where id <= 500" >/dev/null
sums_before=$(shop_sums)
step "second backup (only the change is stored)" "$DR" backup create --id demo_backup_2 --tag daily
step "list backups" "$DR" backup list
step "verify the second backup fully" "$DR" verify demo_backup_2 --full
step "show what the backup holds" "$DR" backup show demo_backup_2
step "recovery drill: the backup restored into scratch targets, checked, timed (RTO and RPO now), removed" \
  "$DR" drill
echo; echo "== disaster: the data directory and the shop database are lost"
sha_before=$(cd data && find . -type f -print0 | sort -z | xargs -0 sha256sum)
rm -rf data
$PSQL -c "drop database shop" >/dev/null
step "restore the files" "$DR" restore demo_backup_2 --component files --target "$SANDBOX/restore"
step "restore the database" "$DR" restore demo_backup_2 --component postgresql
sums_after=$(shop_sums)
if [[ "$sums_before" != "$sums_after" ]]; then
  echo "FAILED: restored tables differ from the originals" >&2
  exit 1
fi
echo "restored database 'shop' is identical to the original (row counts and MD5 of every table):"
echo "$sums_after" | sed 's/^/  /'

sha_after=$(cd "restore$SANDBOX/data" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
if [[ "$sha_before" != "$sha_after" ]]; then
  echo "FAILED: restored files differ from the originals" >&2
  exit 1
fi
echo "restored files are identical to the originals ($(echo "$sha_after" | wc -l) files, SHA-256 compared)"
step "check every byte of the repository" "$DR" repo check --read-data
echo
echo "demo completed: sandbox left in $SANDBOX"
