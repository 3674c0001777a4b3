#!/usr/bin/env bash
# Benchmarks ecap-dr against restic and BorgBackup on the same data in the same
# run, plus the machine's in-memory ceiling (bench/pipeline_bench.cc). Prints a
# Markdown table for docs/BENCHMARKS.md.
#
# Inputs, generated here: (a) a ~1 GiB text dump of an e-commerce database,
# (b) the same dump after a clustered change (1% rows appended, 0.1% updated),
# (c) a ~300 MB tar of system files.
#
# Usage: bench/run.sh [WORK_DIR] [DUMP_MB]    (defaults: /tmp/ecap-dr-bench, 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-bench}
DUMP_MB=${2:-1024}

scripts/install-deps.sh --bench
BUILD_TARGETS="ecap-dr dr_gen_dump dr_bench_pipeline" scripts/build.sh -DDR_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
DR=$ROOT/build/ecap-dr

mkdir -p "$WORK"
cd "$WORK"
if [[ ! -f dump1.sql || $(stat -c %s dump1.sql) -lt $((DUMP_MB * 1000000)) ]]; then
  "$ROOT/build/bench/dr_gen_dump" dump "$DUMP_MB" dump1.sql
  "$ROOT/build/bench/dr_gen_dump" change dump1.sql dump2.sql
fi
if [[ ! -f system.tar ]]; then
  # ~300 MB of the machine's own files: libraries, binaries and documentation.
  find /usr/lib /usr/bin /usr/share -xdev -type f -size -50M 2>/dev/null | sort | \
    awk -v limit=$((300 * 1000 * 1000)) '{ cmd = "stat -c %s \"" $0 "\""; cmd | getline s; close(cmd);
      total += s; print; if (total > limit) exit }' > system.list || true  # awk stops early: SIGPIPE upstream
  tar -cf system.tar -T system.list 2>/dev/null || true
fi
mkdir -p in_a in_b in_c
ln -f dump1.sql in_a/dump.sql
ln -f dump2.sql in_b/dump.sql
ln -f system.tar in_c/system.tar
ratio=$(head -c 200000000 dump1.sql | zstd -3 -c | wc -c | awk '{printf "%.2f", 200000000 / $1}')

export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
export RESTIC_PASSWORD=bench BORG_PASSPHRASE=bench BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_BASE_DIR=$WORK/borg-home

results=$WORK/results.tsv
: > "$results"
# measure TOOL CASE INPUT_BYTES REPO_DIR COMMAND...: runs once, records MB/s, repo growth, RSS, cores.
measure() {
  local tool=$1 case=$2 bytes=$3 repo=$4; shift 4
  local before=0
  [[ -d $repo ]] && before=$(du -sb "$repo" | cut -f1)
  sync
  /usr/bin/time -f "%e %U %S %M" -o time.out "$@" >/dev/null 2>cmd.err || { cat cmd.err >&2; exit 1; }
  local after=$(du -sb "$repo" | cut -f1)
  read -r elapsed user sys rss < time.out
  awk -v t="$tool" -v c="$case" -v b="$bytes" -v e="$elapsed" -v u="$user" -v s="$sys" -v r="$rss" \
      -v g=$((after - before)) 'BEGIN { printf "%s\t%s\t%.0f\t%.1f\t%.0f\t%.2f\t%.2f\n", t, c, b / 1e6 / e, g / 1e6, r / 1024, (u + s) / e, e }' \
      >> "$results"
}
size() { stat -c %s "$1"; }

run_ecapdr() {
  rm -rf ecap-repo ecap-repo-c out
  printf 'backup_manager:\n  backup_dir: %s/ecap-repo\n' "$WORK" > ecap.yaml
  printf 'backup_manager:\n  backup_dir: %s/ecap-repo-c\n' "$WORK" > ecap-c.yaml
  $DR -c ecap.yaml -q repo init; $DR -c ecap-c.yaml -q repo init
  measure ecap-dr "a: first backup" "$(size dump1.sql)" ecap-repo $DR -c ecap.yaml -q backup create --id a --files in_a
  measure ecap-dr "b: second backup" "$(size dump2.sql)" ecap-repo $DR -c ecap.yaml -q backup create --id b --files in_b
  measure ecap-dr "b: restore" "$(size dump2.sql)" ecap-repo $DR -c ecap.yaml -q restore b --target out
  cmp out"$WORK"/in_b/dump.sql dump2.sql
  rm -rf out
  measure ecap-dr "c: first backup" "$(size system.tar)" ecap-repo-c $DR -c ecap-c.yaml -q backup create --id c --files in_c
  measure ecap-dr "c: restore" "$(size system.tar)" ecap-repo-c $DR -c ecap-c.yaml -q restore c --target out
  cmp out"$WORK"/in_c/system.tar system.tar
  rm -rf out
}

run_restic() {
  rm -rf restic-repo restic-repo-c out
  restic -q init --repository-version 2 -r restic-repo; restic -q init --repository-version 2 -r restic-repo-c
  measure restic "a: first backup" "$(size dump1.sql)" restic-repo restic -q -r restic-repo backup --compression auto in_a
  measure restic "b: second backup" "$(size dump2.sql)" restic-repo restic -q -r restic-repo backup --compression auto in_b
  measure restic "b: restore" "$(size dump2.sql)" restic-repo restic -q -r restic-repo restore latest --path "$WORK/in_b" --target out
  cmp out/in_b/dump.sql dump2.sql
  rm -rf out
  measure restic "c: first backup" "$(size system.tar)" restic-repo-c restic -q -r restic-repo-c backup --compression auto in_c
  measure restic "c: restore" "$(size system.tar)" restic-repo-c restic -q -r restic-repo-c restore latest --target out
  cmp out/in_c/system.tar system.tar
  rm -rf out
}

run_borg() {
  rm -rf borg-repo borg-repo-c out borg-home
  borg init -e repokey-blake2 borg-repo; borg init -e repokey-blake2 borg-repo-c
  measure borg "a: first backup" "$(size dump1.sql)" borg-repo borg create --compression zstd,3 borg-repo::a in_a
  measure borg "b: second backup" "$(size dump2.sql)" borg-repo borg create --compression zstd,3 borg-repo::b in_b
  mkdir -p out
  measure borg "b: restore" "$(size dump2.sql)" borg-repo sh -c "cd out && borg extract ../borg-repo::b"
  cmp out/in_b/dump.sql dump2.sql
  rm -rf out
  measure borg "c: first backup" "$(size system.tar)" borg-repo-c borg create --compression zstd,3 borg-repo-c::c in_c
  mkdir -p out
  measure borg "c: restore" "$(size system.tar)" borg-repo-c sh -c "cd out && borg extract ../borg-repo-c::c"
  cmp out/in_c/system.tar system.tar
  rm -rf out
}

# Peak memory must not grow with the input: the same dump streamed through stdin at 1 GiB and 4 GiB.
run_memory() {
  rm -rf ecap-repo-m
  printf 'backup_manager:\n  backup_dir: %s/ecap-repo-m\n' "$WORK" > ecap-m.yaml
  $DR -c ecap-m.yaml -q repo init
  for gib in 1 4; do
    measure ecap-dr "stdin stream, $gib GiB" $((gib << 30)) ecap-repo-m \
      sh -c "'$ROOT/build/bench/dr_gen_dump' dump $((gib * 1024)) /dev/stdout | $DR -c ecap-m.yaml -q backup create --id m$gib --stdin big.sql"
  done
  rm -rf ecap-repo-m
}

run_ecapdr
run_restic
run_borg
run_memory
"$ROOT/build/bench/dr_bench_pipeline" --input dump1.sql --benchmark_filter='Ceiling' --benchmark_format=csv \
  2>/dev/null | grep -E '^"BM_' > ceiling.csv

echo "Inputs: dump $(size dump1.sql) bytes (zstd -3 ratio $ratio:1), changed dump $(size dump2.sql) bytes, system tar $(size system.tar) bytes"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| tool | case | MB/s of input | repository growth (MB) | peak RSS (MB) | CPU cores used | seconds |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$results"
echo
awk -F, '{ gsub(/"/, "", $1); printf "ceiling %s: %.0f MB/s\n", $1, $6 / 1e6 }' ceiling.csv
