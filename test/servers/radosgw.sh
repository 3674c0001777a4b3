#!/usr/bin/env bash
# Starts a real S3 server for the tests: Ceph radosgw on a one-monitor,
# one-memstore-OSD cluster, loopback only, no auth between daemons (the S3
# side checks SigV4). Recipe: shared/TESTENV.md §2b.
#
#   test/servers/radosgw.sh start DIR BASE_PORT   prints "endpoint=http://127.0.0.1:PORT" when ready
#   test/servers/radosgw.sh stop DIR
# Ports: BASE_PORT (mon), BASE_PORT+1..+9 (OSD messenger), BASE_PORT+10 (S3).
# S3 credentials: TESTKEY / TESTSECRET.
# The S3 frontend answers with Nagle's algorithm off (beast tcp_nodelay=1, as a deployment should
# set it): with it on, every answer with a body waits ~40 ms for the client's delayed ACK.
# RGW_TCP_NODELAY=0 starts it as radosgw's default has it (the benchmarks before 2026-12-05 ran so).
set -euo pipefail
cmd=${1:?start|stop}
B=${2:?directory}

# A daemon's pid, or nothing: its pid file goes when it exits, also between a test and a read.
pid_of() { cat "$B/run/$1.pid" 2>/dev/null || true; }

stop() {
  local pid
  for d in client.rgw osd.0 mon.a; do
    pid=$(pid_of $d); [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 150); do
    alive=0
    for d in client.rgw osd.0 mon.a; do
      pid=$(pid_of $d); [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.1
  done
  for d in client.rgw osd.0 mon.a; do
    pid=$(pid_of $d); [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  done
}

if [[ $cmd == stop ]]; then
  stop
  exit 0
fi

BASE=${3:?base port}
MON=$BASE
S3=$((BASE + 10))
rm -rf "$B"; mkdir -p "$B"/{mon,osd,rgw,log,run}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$B/ceph.conf" <<CONF
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON
public_network = 127.0.0.0/8
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_bind_port_min = $((BASE + 1))
ms_bind_port_max = $((BASE + 9))
ms_bind_ipv6 = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
mon_max_pg_per_osd = 1000
run_dir = $B/run
log_file = $B/log/\$name.log
admin_socket = $B/run/\$name.asok
pid_file = $B/run/\$name.pid
[mon.a]
mon_data = $B/mon
[osd.0]
osd_data = $B/osd
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$S3 tcp_nodelay=${RGW_TCP_NODELAY:-1}
rgw_data = $B/rgw
CONF
C="-c $B/ceph.conf"
CC="timeout 60 ceph -c $B/ceph.conf --connect-timeout 30"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON]" "$B/monmap" >/dev/null
ceph-mon $C -i a --mkfs --monmap "$B/monmap" --mon-data "$B/mon"
ceph-mon $C -i a
$CC osd create >/dev/null
ceph-osd $C -i 0 --mkfs 2>>"$B/log/osd-mkfs.log"
ceph-osd $C -i 0 2>>"$B/log/osd-start.log"
radosgw $C -n client.rgw
timeout 60 radosgw-admin $C user create --uid=test --display-name=test --access-key=TESTKEY --secret=TESTSECRET >/dev/null
for _ in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$S3/" && { echo "endpoint=http://127.0.0.1:$S3"; exit 0; }
  sleep 0.1
done
echo "radosgw did not answer on 127.0.0.1:$S3; logs in $B/log" >&2
stop
exit 1
