#!/usr/bin/env bash
# The flapping soak: `ecap-dr monitor` with automatic failover watches a
# PostgreSQL primary for SECONDS (default one hour) while the primary keeps
# flapping and its packets are delayed, and must never fail over: every
# outage is shorter than the failure threshold lets a detector conclude.
#
# The faults (the kernel here has no netem, so both are made in user space):
#  - outages: every 3-15 s (random) the primary's processes are stopped
#    (SIGSTOP) for 0.4-1.8 s, so a check in flight times out (1 s) and the
#    next one may too: up to two failed checks in a row, never the three the
#    threshold asks for;
#  - lost packets: the monitor reaches the primary through a TCP relay that
#    holds 10% of the chunks it forwards for 200 ms and 1% for 600 ms (what a
#    retransmission after a lost segment costs a connection).
# It reports the checks that failed (what the monitor saw), the failovers (0
# expected), the monitor's RSS at the start and the end (a leak would grow
# it) and its exit status (a sanitizer report exits 86/87).
#
# Usage: [ECAP_DR=path] bench/soak.sh [SECONDS] [WORK_DIR]   (default 3600 /tmp/ecap-dr-soak)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_TOTAL=${1:-3600}
WORK=${2:-/tmp/ecap-dr-soak}
if [[ -n ${ECAP_DR:-} ]]; then
  DR=$(realpath "$ECAP_DR")
else
  scripts/install-deps.sh
  BUILD_TARGETS=ecap-dr scripts/build.sh -DCMAKE_BUILD_TYPE=Release >/dev/null
  DR=$ROOT/build/ecap-dr
fi
source scripts/platform.sh
rm -rf "$WORK"; mkdir -p "$WORK/pg" "$WORK/dns"; chmod 755 "$WORK"
RELAY_PID= MON_PID=
cleanup() {
  set +e
  if [[ -n $RELAY_PID ]]; then kill "$RELAY_PID" 2>/dev/null; fi
  if [[ -n $MON_PID ]]; then kill "$MON_PID" 2>/dev/null; fi
  # Never leave the primary stopped (its process group is its own: checked below).
  if [[ -n ${PG_PID:-} ]]; then pkill -CONT -g "$PG_PID" 2>/dev/null; fi
  platform_stop_pg "$WORK/pg"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
platform_pg "$WORK/pg"
platform_bind "$WORK/dns"
PG_PID=$(head -1 "$WORK/pg/primary/postmaster.pid")

# The relay: 127.0.0.1:RELAY -> the primary, chunks held as lost segments would be.
RELAY_PORT=$(free_port)
python3 - "$RELAY_PORT" "$PG_PORT" > "$WORK/relay.log" 2>&1 <<'PY' &
import asyncio, random, sys
listen, target = int(sys.argv[1]), int(sys.argv[2])
held = 0
async def pipe(reader, writer):
    global held
    try:
        while data := await reader.read(65536):
            r = random.random()
            if r < 0.01:
                held += 1; await asyncio.sleep(0.6)
            elif r < 0.11:
                held += 1; await asyncio.sleep(0.2)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
async def handle(cr, cw):
    try:
        sr, sw = await asyncio.open_connection("127.0.0.10", target)
    except OSError:
        cw.close(); return
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw))
async def report():
    while True:
        await asyncio.sleep(60); print(f"chunks held so far: {held}", flush=True)
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    asyncio.ensure_future(report())
    async with server: await server.serve_forever()
asyncio.run(main())
PY
RELAY_PID=$!

cat > "$WORK/ecap.yaml" <<YAML
dr_coordinator:
  check_interval_seconds: 0.5
  failure_threshold: 3
  auto_failover: true
  state_dir: "$WORK/state"
  services:
    - {name: orders-db, type: postgresql, timeout_seconds: 1,
       primary: "host=127.0.0.1 port=$RELAY_PORT user=postgres dbname=postgres",
       standby: "host=127.0.0.20 port=$PG_PORT user=postgres dbname=postgres"}
  failover:
    fence_command: "kill -9 $PG_PID 2>/dev/null; true"
    dns: {server: "127.0.0.1:$DNS_PORT", zone: platform.test, record: db.platform.test, ttl: 1,
          tsig_key_file: "$WORK/dns/ddns.key"}
YAML
for _ in $(seq 100); do psql -h 127.0.0.1 -p "$RELAY_PORT" -U postgres -Atqc "select 1" >/dev/null 2>&1 && break; sleep 0.1; done
"$DR" -c "$WORK/ecap.yaml" monitor --max-seconds "$SECONDS_TOTAL" > "$WORK/monitor.log" 2>&1 &
MON_PID=$!
sleep 5
rss_start=$(ps -o rss= "$MON_PID" | tr -d ' ' || true)
[[ -n $rss_start ]] || { echo "the monitor stopped at once: see $WORK/monitor.log" >&2; exit 1; }
echo "monitor $MON_PID watching through the relay on port $RELAY_PORT for $SECONDS_TOTAL s (RSS $rss_start KiB)"

# The outages, until the monitor stops.
pgid=$(ps -o pgid= "$PG_PID" | tr -d ' ')
# pg_ctl starts the server in a process group of its own; were it this
# script's, stopping the group would stop the script.
[[ $pgid == "$PG_PID" ]] || { echo "the primary (pid $PG_PID) is in process group $pgid, not its own" >&2; exit 1; }
outages=0 stopped_ms=0
while kill -0 "$MON_PID" 2>/dev/null; do
  sleep "$(python3 -c 'import random; print(round(random.uniform(3, 15), 2))')"
  kill -0 "$MON_PID" 2>/dev/null || break
  # A primary fenced by a (false) failover is gone: the report says so below.
  kill -0 "$PG_PID" 2>/dev/null || { echo "the primary is gone: the monitor failed over"; break; }
  d_ms=$(python3 -c 'import random; print(random.randint(400, 1800))')
  # The whole server: postmaster, backends, walsender, checkpointer (one process group).
  pkill -STOP -g "$pgid" || true; sleep "$(printf '%d.%03d' $((d_ms / 1000)) $((d_ms % 1000)))"; pkill -CONT -g "$pgid" || true
  outages=$((outages + 1)); stopped_ms=$((stopped_ms + d_ms))
  if (( outages % 50 == 0 )); then echo "$outages outages, monitor RSS $(ps -o rss= "$MON_PID" | tr -d ' ') KiB"; fi
  rss_now=$(ps -o rss= "$MON_PID" 2>/dev/null | tr -d ' ' || true)
  [[ -n $rss_now ]] && rss_end=$rss_now
done
set +e
if kill -0 "$MON_PID" 2>/dev/null && ! kill -0 "$PG_PID" 2>/dev/null; then kill "$MON_PID"; fi
wait "$MON_PID"; mon_status=$?
set -e
MON_PID=

"$DR" -c "$WORK/ecap.yaml" --json events --limit 1000000 > "$WORK/events.json"
python3 - "$WORK/events.json" "$outages" "$stopped_ms" "${rss_start:-0}" "${rss_end:-0}" "$mon_status" "$SECONDS_TOTAL" \
  "$(tail -1 "$WORK/relay.log" 2>/dev/null)" <<'PY'
import collections, json, sys
events = json.load(open(sys.argv[1]))["events"]
kinds = collections.Counter(e["event_type"] for e in events)
changes = [e["data"] for e in events if e["event_type"] == "health_changed"]
degraded = sum(1 for d in changes if d.get("from") == "healthy" and d.get("to") != "healthy")
failed = sum(1 for d in changes if d.get("to") == "failed")
failovers = kinds.get("failover_started", 0)
outages, stopped_ms, rss0, rss1, status, secs, relay = sys.argv[2:9]
print("| soak | outages | time stopped | failing spells seen (healthy -> degraded) | -> failed | failovers | monitor RSS start -> end | monitor exit |")
print("|---|---:|---:|---:|---:|---:|---|---:|")
print(f"| {int(secs)/60:.0f} min, interval 0.5 s, threshold 3 | {outages} | {int(stopped_ms)/1000:.0f} s | {degraded} | {failed} | "
      f"{failovers} | {int(rss0)/1024:.1f} -> {int(rss1)/1024:.1f} MB | {status} |")
print(f"events by type: {dict(kinds)}; relay: {relay}")
sys.exit(0 if failovers == 0 and status == "0" else 1)
PY
