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
# The platform is part of it: the script starts its own PostgreSQL 15 primary
# and synchronous standby, BIND 9, Ceph radosgw (a data lake bucket and its
# mirror) and a Kafka cluster (librdkafka's mock: orders, clickstream and a
# consumer group) on loopback, fills a shop database, the lake and the
# topics, backs them up with the files, drops the database, restores it and
# compares every table, restores the topics under new names and compares
# every message; then
# runs every drill scenario, the disruptive ones included; the whole region's
# loss on a second platform of its own.
#
# Usage: scripts/demo.sh [SANDBOX_DIR]     (default: a new directory under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# ECAP_DR names a binary built already (the test command runs the demo with
# the one it built); without it, the demo installs what it needs and builds.
# The sandbox's Kafka is librdkafka's mock cluster in a small helper
# (test/servers/kafka_mock.cc), built beside the binary.
if [[ -n "${ECAP_DR:-}" ]]; then
  DR=$(realpath "$ECAP_DR")
  KAFKA_MOCK=${KAFKA_MOCK:-$(dirname "$DR")/test/kafka_mock}
else
  scripts/install-deps.sh
  echo "== building ecap-dr"
  BUILD_TARGETS="ecap-dr kafka_mock" scripts/build.sh >/dev/null
  DR="$ROOT/build/ecap-dr"
  KAFKA_MOCK="$ROOT/build/test/kafka_mock"
fi
[[ -x $KAFKA_MOCK ]] || { echo "FAILED: no Kafka mock helper at $KAFKA_MOCK (build the kafka_mock target)" >&2; exit 1; }

SANDBOX=${1:-$(mktemp -d /tmp/ecap-dr-demo-XXXXXX)}
mkdir -p "$SANDBOX"
cd "$SANDBOX"
rm -rf data repo keys restore state reports drill region kafka ecap-dr.yaml
echo "== sandbox: $SANDBOX"

# The platform (scripts/platform.sh): a PostgreSQL 15 primary on 127.0.0.10
# with a streaming standby on 127.0.0.20 (same port), and BIND 9 serving
# platform.test, where clients find the database as db.platform.test. WAL
# archiving is on; its archive_command (ecap-dr wal push) is set once the
# repository exists. Everything started is stopped when the demo ends, fails
# or is interrupted.
source "$ROOT/scripts/platform.sh"
chmod 755 "$SANDBOX"
rm -rf pg dns rgw
# A drill interrupted mid-way may leave its scratch PostgreSQL server running.
stop_scratch_servers() {
  local pid_file
  for pid_file in "$SANDBOX"/drill/*/pg/data/postmaster.pid; do
    if [[ -f "$pid_file" ]]; then as_pg $PGBIN/pg_ctl -D "${pid_file%/postmaster.pid}" -m immediate -w stop >/dev/null 2>&1 || true; fi
  done
  return 0
}
stop_serve() {
  if [[ -n ${SERVE_PID:-} ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  return 0
}
trap 'stop_serve; stop_scratch_servers; platform_stop_pg "$SANDBOX/region/pg"; platform_stop "$SANDBOX/pg"' EXIT
trap 'exit 130' INT TERM
platform_pg "$SANDBOX/pg" "fsync = off
archive_mode = on"
PGPORT=$PG_PORT
PSQL="$PGBIN/psql -X -At -h 127.0.0.10 -p $PGPORT -U postgres"
$PSQL -c "create database shop" >/dev/null
$PGBIN/pgbench -h 127.0.0.10 -p "$PGPORT" -U postgres -i -s 5 -q shop >/dev/null 2>&1
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
echo "PostgreSQL 15 primary running on 127.0.0.10:$PGPORT with database 'shop'"

# The standby is synchronous: a commit the primary acknowledges is on the standby too.
$PSQL -c "alter system set synchronous_standby_names = '*'" -c "select pg_reload_conf()" >/dev/null
for _ in $(seq 300); do
  [[ $($PSQL -c "select sync_state from pg_stat_replication") == sync ]] && break
  sleep 0.1
done
[[ $($PSQL -c "select sync_state from pg_stat_replication") == sync ]] ||
  { echo "FAILED: the standby does not stream synchronously (see $SANDBOX/pg/standby.log)" >&2; exit 1; }
echo "PostgreSQL 15 standby streaming synchronously on 127.0.0.20:$PGPORT"
platform_bind "$SANDBOX/dns"
DNSPORT=$DNS_PORT
echo "BIND 9 on 127.0.0.1:$DNSPORT: db.platform.test -> 127.0.0.10"
platform_rgw "$SANDBOX/rgw"
# The data lake: a bucket of event files, and its mirror in the backup region.
s3 -X PUT "$S3_ENDPOINT/lake" >/dev/null
s3 -X PUT "$S3_ENDPOINT/lake-mirror" >/dev/null
for i in $(seq 1 40); do
  printf '{"event":"page_view","session":%d,"sku":"SKU-%04d","at":"2026-11-26T10:%02d:00Z"}\n' "$i" $((i * 37 % 9000)) $((i % 60)) |
    s3 -X PUT --data-binary @- "$S3_ENDPOINT/lake/events/2026-11-26/part-$(printf %04d "$i").json" >/dev/null
done
echo "Ceph radosgw at $S3_ENDPOINT: bucket 'lake' (40 event files) and its mirror 'lake-mirror'"
# The event stream: topics orders and clickstream, and a consumer group
# (analytics-etl) that has read part of the orders.
platform_kafka "$SANDBOX/kafka" orders:3 clickstream:3
produce_orders() {  # FIRST COUNT: orders FIRST.. as JSON, keyed by customer
  for ((i = $1; i < $1 + $2; i++)); do
    printf 'c%d:{"order_id":%d,"customer_id":%d,"amount_eur":%d.%02d}\n' $((i % 997)) "$i" $((i % 997)) $((i % 500)) $((i % 100))
  done | kcat -P -b "$KAFKA_BOOTSTRAP" -t orders -K: 
}
produce_orders 0 3000
for ((i = 0; i < 6000; i++)); do printf '{"session":%d,"page":"/p/%d"}\n' $((i / 7)) $((i % 350)); done |
  kcat -P -b "$KAFKA_BOOTSTRAP" -t clickstream
kcat -b "$KAFKA_BOOTSTRAP" -G analytics-etl -o beginning -c 1200 -q orders > /dev/null
echo "Kafka (librdkafka's mock cluster, 3 brokers) at $KAFKA_BOOTSTRAP: 'orders' (3,000 messages), 'clickstream' (6,000),"
echo "  consumer group 'analytics-etl' 1,200 orders in"

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

platform_config "$SANDBOX" lake lake-mirror > ecap-dr.yaml
cat >> ecap-dr.yaml <<YAML
files:
  paths: ["$SANDBOX/data"]
kafka:
  bootstrap_servers: "$KAFKA_BOOTSTRAP"
  topics: [orders, clickstream]
  consumer_groups: [analytics-etl]
  timeout_seconds: 3
YAML
export ECAP_DR_CONFIG="$SANDBOX/ecap-dr.yaml"

step "validate the configuration" "$DR" config check
step "create the encrypted repository (generates the master key)" "$DR" repo init
# PostgreSQL archives its WAL into the repository through ecap-dr, as the
# user it runs as: it reads the configuration and the key, writes the
# repository and the audit log. The directories are given to postgres; what
# ecap-dr run as root creates in them later is given to postgres too. (A
# sandbox shortcut: in production keep the audit log out of the database
# account's reach, which could otherwise rewrite its evidence.)
if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres repo keys state; fi
$PSQL -c "alter system set archive_command = '$DR -c $SANDBOX/ecap-dr.yaml wal push %p'" -c "select pg_reload_conf()" >/dev/null
step "mirror the data lake to the backup region" "$DR" s3 mirror --once
step "first backup (files, PostgreSQL, the data lake and Kafka)" "$DR" backup create --id demo_backup_1 --tag daily
# Change 1% of the data: append rows, as a day of new orders would.
tail -n 1200 data/exports/orders.csv | sed 's/^/9/' >> data/exports/orders.csv
$PSQL -d shop -c "insert into orders select id + 50000, customer, amount, created, attrs from orders where id <= 500" >/dev/null
produce_orders 3000 300
sums_before=$(shop_sums)
step "second backup (only the change is stored)" "$DR" backup create --id demo_backup_2 --tag daily
step "list backups" "$DR" backup list
step "verify the second backup fully" "$DR" verify demo_backup_2 --full
step "show what the backup holds" "$DR" backup show demo_backup_2
# Kafka's part of it restores into scratch topics it creates and deletes; the
# mock cluster lets no client create topics, so here it reports Kafka "not
# tested" and says why (the restore below shows Kafka's restore itself).
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
# Kafka: the topics restored under new names beside the live ones (the mock
# cannot create topics for a client: they are made empty first), every
# message compared. The backup holds analytics-etl's offsets too; a restore
# commits them translated onto the restored topics, but the mock refuses an
# offset commit from outside a group that consumers have joined (a real
# cluster takes it once the group is empty), so here the groups are left out.
for t in orders clickstream; do kafka_ctl create "restored.$t" 3; done
step "restore Kafka's topics under new names" "$DR" restore demo_backup_2 --component kafka --topic-prefix restored. \
  --no-group-offsets
topic_dump() { kcat -b "$KAFKA_BOOTSTRAP" -C -t "$1" -e -q -f '%p %o %k %s\n' | sort -n -k1,1 -k2,2; }
for t in orders clickstream; do
  if [[ "$(topic_dump "$t")" != "$(topic_dump "restored.$t")" ]]; then
    echo "FAILED: Kafka topic restored.$t differs from $t" >&2
    exit 1
  fi
  echo "restored topic restored.$t is identical to $t ($(topic_dump "$t" | wc -l) messages, partition, offset, key and value compared)"
done
step "check every byte of the repository" "$DR" repo check --read-data

echo; echo "== disruptive drills: rows damaged, the lake's bucket lost, an intruder, the primary killed, each under load"
step "a physical base backup (the WAL archive continues it)" "$DR" backup create --id demo_base --component postgresql --physical
step "health of the platform" "$DR" health
# Every scenario, each a drill of its own: the restore test; corruption (rows
# damaged while a client commits, the data_corruption runbook puts them back
# from the physical backup and the WAL archive); database (the primary killed
# while a client commits through db.platform.test, the database_failure
# runbook fails over); storage (the lake's bucket removed while a client
# writes into it, the storage_failure runbook switches the lake to its
# mirror); breach (an intruder's database role and ecap-dr identity, contained
# by the security_breach runbook: access revoked, master key rotated, audit
# chain verified, a clean database restored beside the live one). Each counts
# every acknowledged write.
step "all drill scenarios, disruptive ones included" \
  "$DR" drill --scenario all --disruptive --report "$SANDBOX/reports"
new_address=$(dig @127.0.0.1 -p "$DNSPORT" +short db.platform.test A)
[[ "$new_address" == 127.0.0.20 ]] || { echo "FAILED: db.platform.test leads to '$new_address'" >&2; exit 1; }
echo "db.platform.test now leads to the former standby ($new_address), which takes writes:"
echo "  $($PGBIN/psql -X -At -h "$new_address" -p "$PGPORT" -U postgres -d shop -c "select 'pg_is_in_recovery = ' || pg_is_in_recovery()")"
active_bucket=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["storage"]["active_bucket"])' "$SANDBOX/state/state.json")
[[ "$active_bucket" == lake-mirror ]] || { echo "FAILED: the lake is served from '$active_bucket'" >&2; exit 1; }
echo "the data lake is now served from its mirror: s3://$active_bucket ($(s3 "$S3_ENDPOINT/lake-mirror?list-type=2" | grep -o '<Key>' | wc -l) objects)"

# The failback: the old primary rebuilt as a standby of the promoted one
# (pg_basebackup -R), attached once ecap-dr has seen it stream on the new
# timeline, then a planned failover back to it.
echo; echo "== failback: the old primary rebuilt from the promoted standby, attached, failed over to"
PG_PORT=$PGPORT platform_rebuild_primary "$SANDBOX/pg"
echo "127.0.0.10 rebuilt with pg_basebackup -R from 127.0.0.20, streaming"
step "attach it as the database's standby" "$DR" standby attach "host=127.0.0.10 port=$PGPORT user=postgres dbname=shop"
step "fail back to it" "$DR" failover --reason failback --yes
back_address=$(dig @127.0.0.1 -p "$DNSPORT" +short db.platform.test A)
[[ "$back_address" == 127.0.0.10 ]] || { echo "FAILED: after the failback db.platform.test leads to '$back_address'" >&2; exit 1; }
echo "db.platform.test leads to 127.0.0.10 again: $($PGBIN/psql -X -Atq -h 127.0.0.10 -p "$PGPORT" -U postgres -d shop \
  -c "insert into pgbench_history (tid, bid, aid, delta, mtime) values (1, 1, 1, 0, now()) returning 'a write: ok'")"

# The region scenario needs the database, the lake and the repository all in
# their primary region, which the scenarios above failed over: it gets a
# platform of its own (region/) on the same radosgw, with the repository's
# replica in a bucket of the backup region.
echo; echo "== the whole primary region lost: its database primary, lake bucket and repository at once, under load"
kill "$NAMED_PID" 2>/dev/null || true; wait "$NAMED_PID" 2>/dev/null || true; NAMED_PID=
R=$SANDBOX/region
mkdir -p "$R"; chmod 755 "$R"
platform_pg "$R/pg" "fsync = off
synchronous_standby_names = '*'"
R_PSQL="$PGBIN/psql -X -At -h 127.0.0.10 -p $PG_PORT -U postgres"
$R_PSQL -c "create database shop" >/dev/null
$PGBIN/pgbench -h 127.0.0.10 -p "$PG_PORT" -U postgres -i -s 1 -q shop >/dev/null 2>&1
platform_bind "$R/dns"
# etcd: the daemons of this platform elect their leader there (one runs the
# schedule; a standby daemon on another host would take over).
platform_etcd "$R/etcd"
for b in region-lake region-lake-mirror region-backups; do s3 -X PUT "$S3_ENDPOINT/$b" >/dev/null; done
for i in $(seq 1 20); do
  echo "{\"event\":\"add_to_cart\",\"session\":$i}" | s3 -X PUT --data-binary @- "$S3_ENDPOINT/region-lake/events/part-$i.json" >/dev/null
done
# The region's brokers are the sandbox's Kafka: the region fault takes all
# three down (the mock's control pipe), and they come back after the drill.
# The backup region has a broker of its own, its topics made beforehand (the
# mock cannot make them on request), as is the drills' topic in the primary
# region (the same partition count on both sides).
kafka_ctl create ecap_dr_drill_writes 1
platform_kafka_backup_region "$R/kafka-dr" orders:3 ecap_dr_drill_writes:1
platform_config "$R" region-lake region-lake-mirror region-backups \
  "; printf 'down 1\\\\ndown 2\\\\ndown 3\\\\n' > '$KAFKA_DIR/control'" > "$R/ecap-dr.yaml"
# The automation daemon serves this platform meanwhile: its API (a token for
# the user sre), its metrics and its status page.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$R/api.token"
chmod 600 "$R/api.token"
cat >> "$R/ecap-dr.yaml" <<YAML
kafka:
  bootstrap_servers: "$KAFKA_BOOTSTRAP"
  topics: [orders]
  consumer_groups: [analytics-etl]
  timeout_seconds: 3
automation:
  listen: "127.0.0.1:0"
  api:
    tokens:
      - {user: sre, token_file: "$R/api.token"}
YAML
export ECAP_DR_CONFIG="$R/ecap-dr.yaml"
echo "a second platform: PostgreSQL primary and synchronous standby on port $PG_PORT, db.platform.test on BIND port $DNS_PORT,"
echo "the lake s3://region-lake mirrored to s3://region-lake-mirror, the repository in $R/repo replicated to s3://region-backups,"
echo "the sandbox's Kafka as the region's brokers and one at $DR_KAFKA_BOOTSTRAP in the backup region,"
echo "etcd at $ETCD_ENDPOINT for the daemons' leader election"
step "its encrypted repository" "$DR" repo init
step "its first backup (the database and the lake)" "$DR" backup create --component postgresql --component s3
step "its lake mirrored to the backup region" "$DR" s3 mirror --once
"$DR" serve 2> "$R/serve.log" &
SERVE_PID=$!
for _ in $(seq 300); do grep -q "listening on" "$R/serve.log" && break; sleep 0.1; done
API=$(grep -o 'listening on [0-9.:]*' "$R/serve.log" | head -1 | sed 's/listening on //')
[[ -n $API ]] || { echo "FAILED: ecap-dr serve did not start (see $R/serve.log)" >&2; exit 1; }
echo "ecap-dr serve: the API, /metrics and the status page on http://$API (its log: $R/serve.log)"
for _ in $(seq 300); do
  curl -sf "http://$API/metrics" | grep -q '^ecap_dr_automation_leader 1' && break
  sleep 0.1
done
# (etcd's v3 JSON gateway: keys and values in base64)
leader=$(curl -sf -d "{\"key\": \"$(printf /ecap-dr/automation/leader | base64)\"}" "$ETCD_ENDPOINT/v3/kv/range" |
  python3 -c 'import base64, json, sys; kvs = json.load(sys.stdin).get("kvs", []); print(base64.b64decode(kvs[0]["value"]).decode() if kvs else "")')
[[ -n $leader ]] || { echo "FAILED: the daemon holds no lead in etcd (see $R/serve.log)" >&2; exit 1; }
echo "the daemon leads through etcd: /ecap-dr/automation/leader = $leader; $(curl -sf "http://$API/metrics" | grep '^ecap_dr_automation_leader ')"
# The region scenario: the drill replicates the repository and mirrors the
# lake once more, then kills the primary, removes the lake's bucket and moves
# the repository away, all at once, while clients commit through
# db.platform.test and put objects into the lake; the complete_region_failure
# runbook switches the lake to its mirror and backups to the replica,
# promotes the standby, restores Kafka's newest backup into the backup
# region's broker and makes it the one in use, moves the name, verifies the
# newest backup from the replica and makes a first backup there. Every
# acknowledged write is counted, Kafka's read back from the backup region.
step "the region scenario" "$DR" drill --scenario region --disruptive --report "$SANDBOX/reports"
for b in 1 2 3; do kafka_ctl up "$b"; done
echo "(the primary region's Kafka brokers are back up)"
region_address=$(dig @127.0.0.1 -p "$DNS_PORT" +short db.platform.test A)
[[ "$region_address" == 127.0.0.20 ]] || { echo "FAILED: db.platform.test leads to '$region_address'" >&2; exit 1; }
step "backups now come from the replica in the backup region (the primary repository is gone)" "$DR" backup list
# A restore test of the backup the runbook made in the backup region, asked of
# the daemon over its API (a job, polled); the daemon's metrics then carry
# every scenario's last RTO and RPO.
echo; echo "== a restore test through the daemon's API, then its metrics"
AUTH="Authorization: Bearer $(cat "$R/api.token")"
job=$(curl -sSf -H "$AUTH" -d '{"scenario": "restore-test"}' "http://$API/api/v1/drills" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
state=running
for _ in $(seq 1200); do
  state=$(curl -sSf -H "$AUTH" "http://$API/api/v1/jobs/$job" | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')
  [[ $state != running ]] && break
  sleep 0.1
done
[[ $state == succeeded ]] || { echo "FAILED: the restore test through the API ended $state (see $R/serve.log)" >&2; exit 1; }
echo "POST /api/v1/drills {\"scenario\": \"restore-test\"}: job $job $state"
echo "GET /metrics:"
curl -sSf "http://$API/metrics" | grep -E '^ecap_dr_drill_(passed|rto_seconds|rpo_seconds)' | sed 's/^/  /'
echo "drill reports (HTML): $SANDBOX/reports"
echo
echo "demo completed: sandbox left in $SANDBOX"
