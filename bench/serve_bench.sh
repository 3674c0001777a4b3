#!/usr/bin/env bash
# The automation daemon's own cost (issue 13, "Performance"):
#   1. idle: `ecap-dr serve` with 50 jobs configured (none due during the
#      measurement) for IDLE_SECONDS: CPU used (utime+stime from /proc) as a
#      share of one core, and peak RSS (VmHWM);
#   2. scrapes: SCRAPES sequential GET /metrics against the daemon of a
#      repository holding the backups of REPO_DIR (e.g. the 10,000 of
#      bench/list_bench.sh): p50, p99 and max of curl's time_total;
#   3. the status page (GET /, with a token): PAGES sequential loads, the
#      same percentiles. It answers "the newest backup of each component"
#      (issue 12) from what the daemon holds, never from a listing.
# Prints a Markdown table row per measurement.
#
# Usage: bench/serve_bench.sh DIR [REPO_DIR]
#   DIR: scratch directory. REPO_DIR: a directory bench/list_bench.sh made
#   (its ecap-dr.yaml and repo/); without it the daemon's repository is empty.
#   IDLE_SECONDS (60) and SCRAPES (2000) may be set in the environment.
#   Uses build/ecap-dr as built, or $ECAP_DR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:?usage: bench/serve_bench.sh DIR [REPO_DIR]}
REPO_DIR=${2:-}
DR=${ECAP_DR:-$ROOT/build/ecap-dr}
IDLE_SECONDS=${IDLE_SECONDS:-60}
SCRAPES=${SCRAPES:-2000}
PAGES=${PAGES:-500}
unset ECAP_BACKUP_ENCRYPTION_KEY ECAP_DR_CONFIG
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd); cd "$DIR"
mkdir -p data state && echo "kept" > data/a.txt
(umask 077; echo "bench-token-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')" > token)

if [ -n "$REPO_DIR" ]; then
  REPO_DIR=$(cd "$REPO_DIR" && pwd)
  repo="$REPO_DIR/repo"; key="$REPO_DIR/keys/backup.key"
else
  repo="$DIR/repo"; key="$DIR/keys/backup.key"
fi
port=$((20000 + RANDOM % 20000))
{
  printf 'backup_manager:\n  backup_dir: "%s"\nencryption:\n  enabled: true\n  auto_generate_key: true\n  key_file: "%s"\n' "$repo" "$key"
  printf 'audit:\n  log_file: "%s/state/audit.log"\nfiles:\n  paths: ["%s/data"]\n' "$DIR" "$DIR"
  printf 'automation:\n  listen: "127.0.0.1:%d"\n  timezone: UTC\n' "$port"
  printf '  api:\n    tokens:\n      - {user: bench, token_file: "%s/token"}\n  jobs:\n' "$DIR"
  # 50 jobs, none due in the next hour: weekly on the day after tomorrow.
  day=$(date -u -d '+2 days' +%a | tr 'A-Z' 'a-z')
  for i in $(seq 1 50); do
    printf '    - {name: job%02d, action: backup, components: [files], weekly: "%s %02d:%02d"}\n' "$i" "$day" $((i % 24)) $((i % 60))
  done
} > ecap-dr.yaml
[ -f "$repo/config" ] || "$DR" -c ecap-dr.yaml -q repo init
backups=$(find "$repo/snapshots" -type f 2>/dev/null | wc -l)

"$DR" -c ecap-dr.yaml serve 2> serve.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/metrics" >/dev/null || { echo "serve did not answer; its log:" >&2; cat serve.err >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
sleep 5  # start-up (listing the backups) is not idling
t0=$(ticks)
sleep "$IDLE_SECONDS"
t1=$(ticks)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.3f", 100 * d / hz / s}')

for _ in $(seq 1 "$SCRAPES"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
done | sort -n > scrape.times
for _ in $(seq 1 "$PAGES"); do
  curl -s -o /dev/null -H "Authorization: Bearer $(cat token)" -w '%{time_total}\n' "http://127.0.0.1:$port/"
done | sort -n > page.times
curl -sf -o page.html -H "Authorization: Bearer $(cat token)" "http://127.0.0.1:$port/" || { echo "the status page failed" >&2; exit 1; }
pct() { awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100); if (i < 1) i = 1; printf "%.2f", a[i] * 1000}' "${2:-scrape.times}"; }
echo "| measurement | backups in the repository | result |"
echo "|---|---:|---|"
printf '| idle, 50 jobs, %d s | %d | %s%% of one core; RSS %d MB (peak %d MB) |\n' "$IDLE_SECONDS" "$backups" "$cpu" $((rss / 1024)) $((hwm / 1024))
printf '| GET /metrics x %d | %d | p50 %s ms, p99 %s ms, max %s ms |\n' "$SCRAPES" "$backups" "$(pct 50)" "$(pct 99)" "$(pct 100)"
printf '| GET / (status page) x %d | %d | p50 %s ms, p99 %s ms, max %s ms; %d bytes |\n' "$PAGES" "$backups" \
  "$(pct 50 page.times)" "$(pct 99 page.times)" "$(pct 100 page.times)" "$(wc -c < page.html)"
