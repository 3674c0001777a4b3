#!/usr/bin/env bash
# How `backup list` scales with the number of backups (issue 12: listing reads a
# summary per snapshot, not every index and whole snapshot). Creates N tiny
# backups (one stdin item each) in a local, encrypted repository, then runs
# `backup list` and `--json backup list` under GNU time and prints a Markdown
# table row per command: the first run with a cold summary cache and the best
# of 3 runs with a warm one.
#
# The summaries are cached in the state directory (events.db beside the audit
# log, table snapshot_summaries; src/backup/sqlite_summary_cache.h), which
# every command shares and each backup writes its own summary into. "Cold":
# the table is emptied before the first run, which then reads every snapshot
# from the repository (and fills the table); "warm": the next 3 runs, which
# read no snapshot, only the LIST of snapshot objects and the table. Emptying
# the table needs the sqlite3 shell (Debian: sqlite3); without it "cold" is warm.
#
# If DIR already holds a repository made by this script, it is continued: only
# the backups from the current count up to N are created (so a run at 1,000 can
# be grown to 10,000).
#
# Usage: bench/list_bench.sh DIR N    (uses build/ecap-dr as built, or $ECAP_DR)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:?usage: bench/list_bench.sh DIR N}
N=${2:?usage: bench/list_bench.sh DIR N}
DR=${ECAP_DR:-$ROOT/build/ecap-dr}
unset ECAP_BACKUP_ENCRYPTION_KEY ECAP_DR_CONFIG
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd); cd "$DIR"

CFG=$DIR/ecap-dr.yaml
cat > "$CFG" <<YAML
backup_manager:
  backup_dir: "$DIR/repo"
encryption:
  enabled: true
  auto_generate_key: true
  key_file: "$DIR/keys/backup.key"
audit:
  log_file: "$DIR/audit.log"
YAML
[ -f repo/config ] || "$DR" -c "$CFG" -q repo init

snapshots() { if [ -d repo/snapshots ]; then find repo/snapshots -type f | wc -l; else echo 0; fi; }
have=$(snapshots)
start=$(date +%s)
for ((i = have + 1; i <= N; i++)); do
  echo "$i" | "$DR" -c "$CFG" -q backup create --id "$(printf 'b%06d' "$i")" --stdin item
done
count=$(snapshots)
echo "created $((count - have)) backups in $(($(date +%s) - start)) s; $count in the repository" >&2

echo "| backups | command | cold cache (first run) | warm cache (best of 3) | peak RSS (MB), cold / warm |"
echo "|---:|---|---:|---:|---:|"
for args in "backup list" "--json backup list"; do
  # An empty cache: what the first listing after an upgrade (or on a new host) costs.
  if [ -f events.db ]; then sqlite3 events.db "DELETE FROM snapshot_summaries" 2>/dev/null || true; fi
  runs=()
  for r in 0 1 2 3; do
    /usr/bin/time -f "%e s %M KB" -o time.out "$DR" -c "$CFG" $args > list.out
    runs+=("$(cat time.out)")
  done
  # Sanity: every backup is listed.
  if [ "$args" = "backup list" ]; then listed=$(($(wc -l < list.out) - 1)); else listed=$(grep -c '"backup_id"' list.out || true); fi
  [ "$listed" -eq "$count" ] || { echo "listed $listed of $count backups" >&2; exit 1; }
  best=$(printf '%s\n' "${runs[@]:1}" | sort -n | head -1)
  read -r fs _ fkb _ <<< "${runs[0]}"
  read -r bs _ bkb _ <<< "$best"
  printf '| %d | `ecap-dr %s` | %s s | %s s | %d / %d |\n' "$count" "$args" "$fs" "$bs" $((fkb / 1024)) $((bkb / 1024))
  echo "  $args: ${runs[*]}" >&2
done
