# The coordinator's platform on loopback, shared by scripts/demo.sh and the
# benchmarks that need it (source it):
# PostgreSQL 15 primary on 127.0.0.10 with a streaming standby on 127.0.0.20
# (same port), and BIND 9 serving platform.test with db -> 127.0.0.10 and
# RFC 2136 updates signed with a TSIG key. Run as root, PostgreSQL runs as
# postgres (it refuses root) and named keeps its files in root's directories;
# run as another user, both run as that user.
#
#   platform_pg DIR [EXTRA_CONF]   sets PG_PORT; DIR/primary, DIR/standby, logs beside
#   platform_rebuild_primary DIR   the old primary (127.0.0.10) made anew as a standby of the
#                                  promoted one (127.0.0.20) by pg_basebackup -R, after a failover
#   platform_bind DIR              sets DNS_PORT, NAMED_PID; DIR/ddns.key
#   platform_rgw DIR               sets S3_ENDPOINT, RGW_DIR: Ceph radosgw (test/servers/radosgw.sh),
#                                  credentials TESTKEY / TESTSECRET; s3 ARGS... signs a curl request
#   platform_kafka DIR TOPIC:PARTITIONS...  sets KAFKA_BOOTSTRAP, KAFKA_PID: librdkafka's mock
#                                  cluster, 3 brokers (KAFKA_MOCK names the helper, built from
#                                  test/servers/kafka_mock.cc); kafka_ctl CMD talks to it
#   platform_kafka_backup_region DIR TOPIC:PARTITIONS...  sets DR_KAFKA_BOOTSTRAP, DR_KAFKA_PID: a
#                                  second mock cluster of one broker, the backup region's
#   platform_etcd DIR              sets ETCD_ENDPOINT, ETCD_PID: a single-node etcd (the daemons'
#                                  leader election); platform_config names it when it is set
#   platform_config DIR LAKE MIRROR [REPLICA [MORE]]  prints ecap-dr's configuration for the platform
#                                       (MORE: shell appended to the region fault, e.g. "; stop the brokers")
#   platform_stop DIR_PG           stops both servers (immediate), named, radosgw, the Kafka mock and etcd
#   platform_stop_pg DIR_PG        the same without radosgw and the Kafka mock
PGBIN=/usr/lib/postgresql/15/bin
PLATFORM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

platform_pg() {
  local B=$1 extra=${2:-}
  mkdir -p "$B" "$B/s"; chmod 755 "$B"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$B" "$B/s"; fi
  PG_PORT=$(free_port)
  as_pg $PGBIN/initdb -D "$B/primary" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
  cat >> "$B/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.10'
port = $PG_PORT
unix_socket_directories = '$B'
wal_level = replica
max_wal_senders = 10
$extra
CONF
  echo "host all all 127.0.0.0/8 trust" >> "$B/primary/pg_hba.conf"
  echo "host replication all 127.0.0.0/8 trust" >> "$B/primary/pg_hba.conf"
  as_pg $PGBIN/pg_ctl -D "$B/primary" -l "$B/primary.log" -w -t 30 start >/dev/null
  as_pg $PGBIN/pg_basebackup -h 127.0.0.10 -p "$PG_PORT" -U postgres -D "$B/standby" -R -X stream -c fast
  printf "listen_addresses = '127.0.0.20'\nport = %s\nunix_socket_directories = '%s/s'\narchive_mode = off\n" \
    "$PG_PORT" "$B" >> "$B/standby/postgresql.conf"
  as_pg $PGBIN/pg_ctl -D "$B/standby" -l "$B/standby.log" -w -t 30 start >/dev/null
}

platform_rebuild_primary() {
  local B=$1 tries=0
  as_pg $PGBIN/pg_ctl -D "$B/primary" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$B/primary"
  as_pg $PGBIN/pg_basebackup -h 127.0.0.20 -p "$PG_PORT" -U postgres -D "$B/primary" -R -X stream -c fast
  # The copy carries the standby's address and socket directory: its own again,
  # and the primary's archiving for when it is promoted back.
  printf "listen_addresses = '127.0.0.10'\nunix_socket_directories = '%s'\narchive_mode = on\n" "$B" \
    >> "$B/primary/postgresql.conf"
  as_pg $PGBIN/pg_ctl -D "$B/primary" -l "$B/primary.log" -w -t 30 start >/dev/null
  until [[ $($PGBIN/psql -X -At -h 127.0.0.10 -p "$PG_PORT" -U postgres -d postgres \
             -c "select status from pg_stat_wal_receiver" 2>/dev/null) == streaming ]]; do
    if (( ++tries > 300 )); then echo "the rebuilt primary does not stream: $B/primary.log" >&2; return 1; fi
    sleep 0.1
  done
}

platform_bind() {
  local N=$1
  mkdir -p "$N/dns"; /usr/sbin/tsig-keygen -a hmac-sha256 ddns-key > "$N/ddns.key"
  DNS_PORT=$(free_port)
  cat > "$N/named.conf" <<CONF
include "$N/ddns.key";
options { directory "$N/dns"; pid-file "$N/named.pid"; session-keyfile "$N/session.key";
  listen-on port $DNS_PORT { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; allow-query { any; };
  dnssec-validation no; notify no; };
controls { };
zone "platform.test" { type primary; file "$N/zone"; allow-update { key "ddns-key"; }; };
CONF
  printf '$TTL 60\n@ IN SOA ns1.platform.test. admin.platform.test. ( 1 60 60 3600 60 )\n  IN NS ns1.platform.test.\nns1 IN A 127.0.0.1\ndb IN A 127.0.0.10\n' > "$N/zone"
  /usr/sbin/named -g -4 -c "$N/named.conf" >"$N/named.log" 2>&1 &
  NAMED_PID=$!
  local tries=0
  until dig @127.0.0.1 -p "$DNS_PORT" +short +time=1 +tries=1 db.platform.test A 2>/dev/null | grep -q 127; do
    if (( ++tries > 200 )); then echo "named did not start: $N/named.log" >&2; return 1; fi
    sleep 0.05
  done
}

platform_etcd() {
  local E=$1 peer tries=0
  mkdir -p "$E"
  ETCD_ENDPOINT=http://127.0.0.1:$(free_port)
  peer=http://127.0.0.1:$(free_port)
  etcd --name n1 --data-dir "$E/data" --listen-client-urls "$ETCD_ENDPOINT" --advertise-client-urls "$ETCD_ENDPOINT" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "n1=$peer" \
    --initial-cluster-state new > "$E/etcd.log" 2>&1 &
  ETCD_PID=$!
  until curl -sf "$ETCD_ENDPOINT/health" 2>/dev/null | grep -q true; do
    if (( ++tries > 300 )) || ! kill -0 "$ETCD_PID" 2>/dev/null; then echo "etcd did not start: $E/etcd.log" >&2; return 1; fi
    sleep 0.05
  done
}

platform_stop_etcd() {
  if [[ -n ${ETCD_PID:-} ]]; then
    kill "$ETCD_PID" 2>/dev/null || true
    wait "$ETCD_PID" 2>/dev/null || true
    ETCD_PID=
  fi
  return 0
}

platform_rgw() {
  local R=$1 base out tries=0
  while (( tries++ < 3 )); do
    base=$(free_port)
    (( base < 65000 )) || continue  # the server takes base..base+10
    if out=$("$PLATFORM_ROOT/test/servers/radosgw.sh" start "$R" "$base"); then
      RGW_DIR=$R
      S3_ENDPOINT=${out#endpoint=}
      return 0
    fi
  done
  echo "radosgw did not start: see $R/log" >&2
  return 1
}

# The Kafka mock cluster: the only Kafka-protocol broker installable here. It
# answers Produce, Fetch, offsets and consumer groups like a cluster, but has
# no CreateTopics or DeleteTopics for clients: its topics are made through its
# own control channel (kafka_ctl "create NAME PARTITIONS"), a FIFO this shell
# holds open on descriptor KAFKA_CTL; answers land in DIR/answers.
platform_kafka() {
  kafka_mock "$1" 3 "${@:2}" || return 1
  KAFKA_PID=$MOCK_PID KAFKA_CTL=$MOCK_CTL KAFKA_DIR=$1 KAFKA_BOOTSTRAP=$MOCK_BOOTSTRAP
}

# The brokers of the backup region: a second mock cluster, one broker, its
# topics made at start (the restore into it cannot make them: no CreateTopics).
platform_kafka_backup_region() {
  kafka_mock "$1" 1 "${@:2}" || return 1
  DR_KAFKA_PID=$MOCK_PID DR_KAFKA_CTL=$MOCK_CTL DR_KAFKA_BOOTSTRAP=$MOCK_BOOTSTRAP
}

# kafka_mock DIR BROKERS TOPIC:PARTITIONS...: starts the helper, sets MOCK_PID,
# MOCK_CTL (the descriptor of its control FIFO) and MOCK_BOOTSTRAP.
kafka_mock() {
  local K=$1 tries=0 t args=()
  [[ -x ${KAFKA_MOCK:-} ]] || { echo "KAFKA_MOCK does not name the kafka_mock helper: '${KAFKA_MOCK:-}'" >&2; return 1; }
  mkdir -p "$K"; rm -f "$K/control" "$K/answers"; mkfifo "$K/control"
  for t in "${@:3}"; do args+=(-t "$t"); done
  # Read-write: opening never blocks, whether or not the mock has opened its end yet.
  exec {MOCK_CTL}<> "$K/control"
  "$KAFKA_MOCK" -b "$2" "${args[@]}" < "$K/control" > "$K/answers" 2> "$K/log" {MOCK_CTL}>&- &
  MOCK_PID=$!
  until [[ -s "$K/answers" ]]; do
    if (( ++tries > 200 )) || ! kill -0 "$MOCK_PID" 2>/dev/null; then echo "the Kafka mock did not start: $K/log" >&2; return 1; fi
    sleep 0.05
  done
  MOCK_BOOTSTRAP=$(head -1 "$K/answers")
}

# One command to the mock ("create NAME PARTITIONS"), and its answer.
kafka_ctl() {
  local before tries=0
  before=$(wc -l < "$KAFKA_DIR/answers")
  kill -0 "$KAFKA_PID" 2>/dev/null || { echo "the Kafka mock is gone (see $KAFKA_DIR/log)" >&2; return 1; }
  echo "$*" >&"$KAFKA_CTL"
  until (( $(wc -l < "$KAFKA_DIR/answers") > before )); do
    if (( ++tries > 200 )); then echo "the Kafka mock did not answer '$*'" >&2; return 1; fi
    sleep 0.05
  done
  local answer; answer=$(tail -1 "$KAFKA_DIR/answers")
  [[ $answer == ok ]] || { echo "the Kafka mock: $* -> $answer" >&2; return 1; }
}

platform_stop_kafka() {
  stop_mock "${KAFKA_PID:-}" "${KAFKA_CTL:-}"; KAFKA_PID=
  stop_mock "${DR_KAFKA_PID:-}" "${DR_KAFKA_CTL:-}"; DR_KAFKA_PID=
}

# stop_mock PID FD: closes the mock's control FIFO and ends it ("" PID: none).
stop_mock() {
  [[ -n $1 ]] || return 0
  eval "exec $2>&-"
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# One S3 request to the sandbox's radosgw, signed by curl (SigV4, payload unsigned).
s3() {
  curl -sSf --aws-sigv4 aws:amz:us-east-1:s3 --user TESTKEY:TESTSECRET -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# The configuration of ecap-dr for this platform (on stdout): the repository
# and key under DIR (with REPLICA, a bucket on radosgw: its replica in the
# backup region, and the region fault), the shop database, the lake bucket
# LAKE mirrored to MIRROR, the audit log, the coordinator (failover through
# DNS, storage switch to the mirror) and a drill environment with its faults. Needs
# PG_PORT, DNS_PORT, S3_ENDPOINT and RGW_DIR from the functions above, and
# the platform's directories DIR/pg and DIR/dns.
platform_config() {
  local D=$1 LAKE=$2 MIRROR=$3 REPLICA=${4:-} MORE_REGION_FAULT=${5:-} KAFKA_FAILOVER=
  # With the backup region's brokers (platform_kafka_backup_region): the region runbook restores Kafka there.
  if [[ -n ${DR_KAFKA_BOOTSTRAP:-} ]]; then
    KAFKA_FAILOVER="    kafka: {replica_bootstrap_servers: \"$DR_KAFKA_BOOTSTRAP\",
            switch_hook: \"echo \\\"Kafka is now served from \$ECAP_DR_ACTIVE_KAFKA\\\" >&2\"}
"
  fi
  cat <<YAML
backup_manager:
  backup_dir: "$D/repo"
  retention_policies: {daily: 7, weekly: 4, monthly: 12}
encryption:
  enabled: true
  auto_generate_key: true
  key_file: "$D/keys/backup.key"
s3:
  endpoint: "$S3_ENDPOINT"
  region: us-east-1
  force_path_style: true
  access_key_id: TESTKEY
  secret_access_key: TESTSECRET
  buckets: [$LAKE]
  mirror: {source: $LAKE, target: $MIRROR, state_file: "$D/state/mirror.state"}
postgresql:
  host: 127.0.0.10
  port: $PG_PORT
  database: shop
  username: postgres
audit:
  log_file: "$D/state/audit.log"
dr_coordinator:
  state_dir: "$D/state"
  check_interval_seconds: 0.5
  failure_threshold: 3${ETCD_ENDPOINT:+
  coordination:
    etcd:
      endpoints:
        - $ETCD_ENDPOINT}
  services:
    - {name: shop-db, type: postgresql, timeout_seconds: 1,
       primary: "host=127.0.0.10 port=$PG_PORT user=postgres dbname=shop",
       standby: "host=127.0.0.20 port=$PG_PORT user=postgres dbname=shop"}
    - {name: shop-db-name, type: dns, record: db.platform.test}
  failover:
    fence_command: "kill -9 \$(head -1 $D/pg/\$([ \"\$ECAP_DR_OLD_PRIMARY\" = 127.0.0.20 ] && echo standby || echo primary)/postmaster.pid) 2>/dev/null; true"
    dns: {server: "127.0.0.1:$DNS_PORT", zone: platform.test, record: db.platform.test, ttl: 5,
          tsig_key_file: "$D/dns/ddns.key"}
    storage: {primary_bucket: $LAKE, replica_bucket: $MIRROR,
              switch_hook: "echo \"the lake is now served from s3://\$ECAP_DR_ACTIVE_BUCKET\" >&2"}
$KAFKA_FAILOVER# This platform is a drill environment: disruptive drills may break it.
drill:
  environment: true
  scratch_dir: "$D/drill"
  faults:
    database: "kill -9 \$(head -1 $D/pg/primary/postmaster.pid)"
    storage: "radosgw-admin -c $RGW_DIR/ceph.conf bucket rm --bucket=$LAKE --purge-objects"
YAML
  [[ -n $REPLICA ]] || return 0
  # The whole primary region at once: its database primary, lake bucket and repository.
  cat <<YAML
    region: "kill -9 \$(head -1 '$D/pg/primary/postmaster.pid'); radosgw-admin -c '$RGW_DIR/ceph.conf' bucket rm --bucket=$LAKE --purge-objects; mv '$D/repo' '$D/repo-lost-with-the-region'$MORE_REGION_FAULT"
replicas:
  - {type: s3, bucket: $REPLICA, endpoint: "$S3_ENDPOINT", region: us-east-1, force_path_style: true,
     access_key_id: TESTKEY, secret_access_key: TESTSECRET}
YAML
}

platform_stop() {
  platform_stop_kafka
  platform_stop_etcd
  if [[ -n ${RGW_DIR:-} ]]; then
    "$PLATFORM_ROOT/test/servers/radosgw.sh" stop "$RGW_DIR" || true
    RGW_DIR=
  fi
  platform_stop_pg "$1"
}

platform_stop_pg() {
  local B=$1
  as_pg $PGBIN/pg_ctl -D "$B/primary" -m immediate -w stop >/dev/null 2>&1 || true
  as_pg $PGBIN/pg_ctl -D "$B/standby" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ -n ${NAMED_PID:-} ]]; then
    kill "$NAMED_PID" 2>/dev/null || true
    wait "$NAMED_PID" 2>/dev/null || true
    NAMED_PID=
  fi
}
