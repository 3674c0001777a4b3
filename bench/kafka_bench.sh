#!/usr/bin/env bash
# Kafka benchmark against kcat on the same cluster, same data, same run:
# 1,000,000 messages of 1 KiB (key + 1 KiB value) in one topic of 256
# partitions on a 3-broker librdkafka mock cluster (it keeps ~5 MB per
# partition, hence the partition count).
#   produce: kcat -P of the messages (the peer for ecap-dr's restore)
#   consume: kcat -C of the whole topic to a file (the peer for ecap-dr's backup)
#   ecap-dr backup --component kafka, then restore into an empty topic
# Prints a Markdown table for docs/BENCHMARKS.md.
#
# Usage: bench/kafka_bench.sh [WORK_DIR] [MESSAGES]   (default /tmp/ecap-dr-kafkabench 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=${1:-/tmp/ecap-dr-kafkabench}
N=${2:-1000000}
PARTS=256
scripts/install-deps.sh
BUILD_TARGETS="ecap-dr kafka_mock" scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DDR_BUILD_TESTS=ON >/dev/null
DR=$ROOT/build/ecap-dr

rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
mkfifo ctl
"$ROOT/build/test/kafka_mock" -b 3 -t bench:$PARTS -t restored.bench:$PARTS <ctl >bootstrap.txt 2>mock.err &
MOCK=$!
exec 3>ctl   # keeps the mock's standard input open
trap 'exec 3>&-; kill $MOCK 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -s bootstrap.txt ]] && break; sleep 0.1; done
BS=$(head -1 bootstrap.txt)

# Messages: "key-<n>\t<1024 characters>" per line (kcat -K splits key and value at the tab).
python3 - "$N" <<'PY'
import random, string, sys
n = int(sys.argv[1]); random.seed(11)
alphabet = (string.ascii_letters + string.digits).encode()
block = bytes(random.choice(alphabet) for _ in range(1 << 20))
with open("messages.txt", "wb") as f:
    for i in range(n):
        o = (i * 7919) % ((1 << 20) - 1024)
        f.write(b"key-%d\t" % i + block[o:o + 1024] + b"\n")
PY
BYTES=$((N * 1024))

t() { local s=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; exit 1; }; local e=$(date +%s.%N); echo "$e - $s" | bc; }
rows=()
row() { rows+=("| $1 | $(printf '%.2f' "$2") | $(echo "$N / $2 / 1000" | bc)k | $(echo "$BYTES / 1000000 / $2" | bc) |"); }

KCAT_P="kcat -P -b $BS -t bench -K $'\t' -X linger.ms=20 -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 -l messages.txt"
row "kcat -P (produce the messages)" "$(t bash -c "$KCAT_P")"
row "kcat -C -e to a file (consume them)" "$(t bash -c "kcat -C -b $BS -t bench -o beginning -e -q -K '\t' > consumed.txt")"
test "$(wc -l < consumed.txt)" -eq "$N" || { echo "kcat consumed $(wc -l < consumed.txt) of $N" >&2; exit 1; }

export ECAP_BACKUP_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
cat > ecap.yaml <<YAML
backup_manager: {backup_dir: "$WORK/repo"}
kafka: {bootstrap_servers: "$BS", topics: [bench], timeout_seconds: 1}
YAML
$DR -c ecap.yaml -q repo init
/usr/bin/time -f "%M" -o backup.rss true
row "ecap-dr backup --component kafka" "$(t /usr/bin/time -f %M -o backup.rss $DR -c ecap.yaml -q backup create --id k1 --component kafka)"
row "ecap-dr restore --component kafka" "$(t /usr/bin/time -f %M -o restore.rss $DR -c ecap.yaml -q restore k1 --component kafka --topic-prefix restored.)"
restored=$($DR -c ecap.yaml --json backup show k1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["components"]["kafka"]["meta"]["messages_read"])')
test "$restored" -eq "$N" || { echo "ecap-dr backed up $restored of $N" >&2; exit 1; }
high=$(kcat -b "$BS" -Q $(for p in $(seq 0 $((PARTS - 1))); do printf -- "-t restored.bench:%d:-1 " "$p"; done) | awk '{s += $NF} END {print s}')

echo "Data: $N messages x 1 KiB in $PARTS partitions, 3-broker librdkafka mock at $BS; kcat $(kcat -V 2>&1 | head -1 | awk '{print $2}')"
echo "Repository: $(du -sh repo | cut -f1); restored topic end offsets sum: $high; peak RSS backup $(cat backup.rss) KB, restore $(cat restore.rss) KB"
echo
echo "| tool | seconds | messages/s | MB/s |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
