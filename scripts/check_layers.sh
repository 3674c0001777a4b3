#!/usr/bin/env bash
# Checks the include graph against the layers of ARCHITECTURE.md ("Layers"):
# a file may include its own layer, the public seams (include/dr/), and layers
# of a lower rank; never one beside or above it. Prints every violation as
# file:line and exits 1 if there is any. Fast (one grep); scripts/test.sh runs
# it before building, so CI enforces it.
#
#   rank  layers (src/<dir>)            what sits there
#   0     dr (include/dr)               the public seams: self-contained, include only dr/
#   1     base                          status, clock, fs, subprocess, threads, crypto primitives
#   2     config                        the configuration: read by every layer above it, reads none
#   3     net                           clients of outside systems: HTTP, S3 + SigV4, PostgreSQL, Kafka
#   4     storage                       Backend implementations and wrappers
#   5     repo                          the repository core
#   6     source                        postgres, s3lake, kafka, files (each knows its config section)
#   7     engine events                 the step engine; the event history
#   8     security                      access, audit, keys
#   9     backup coordinator            BackupManager; health checks and failover
#   10    automation runbook            scheduler, metrics, alerts; runbooks
#   11    drill                         drills
#   12    ops                           one operations layer
#   13    server                        the HTTP API, /metrics and the status page of `serve`
#   14    cli                           thin adapters; `serve` starts the server
#   15    main                          ecap_dr.cc
#
# Edges the ranks allow but the design does not (ARCHITECTURE.md, STYLE.md §1):
#   source -> storage   sources never touch storage: they write items, backup/ stores them
#   repo -> storage     the repository knows storage only through dr/backend.h
# (unit tests, *_test.cc, may: they wire a repository to a memory or local backend).
#
# Also: the client libraries of outside systems (libcurl, libpq, librdkafka)
# are included only in net/, the one place for every outgoing request.
#
# Unit tests beside the code (*_test.cc) may also include test/ (support,
# conformance suites). A directory missing from the table is a violation too:
# give a new layer its rank here.
set -euo pipefail
cd "$(dirname "$0")/.."

RANKS="dr=0 base=1 config=2 net=3 storage=4 repo=5 source=6 engine=7 events=7 security=8 backup=9 coordinator=9
automation=10 runbook=10 drill=11 ops=12 server=13 cli=14 main=15"
FORBIDDEN="source:storage repo:storage"
NET_ONLY_LIBS='curl/|libpq-fe\.h|librdkafka/'

# Known exceptions, one "file:included-path" per line, each with the reason in
# a comment above it. Keep this list empty; an entry is a debt with a reason.
EXCEPTIONS=""

grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' src include --include='*.h' --include='*.cc' |
  awk -v ranks="$RANKS" -v forbidden="$FORBIDDEN" -v netlibs="$NET_ONLY_LIBS" -v exceptions="$EXCEPTIONS" '
    BEGIN {
      n = split(ranks, pairs, /[[:space:]]+/)
      for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); rank[kv[1]] = kv[2] }
      f = split(forbidden, fe, /[[:space:]]+/)
      for (i = 1; i <= f; i++) if (fe[i] != "") banned[fe[i]] = 1
      m = split(exceptions, ex, /[[:space:]]+/)
      for (i = 1; i <= m; i++) if (ex[i] != "") allowed[ex[i]] = 1
      bad = 0
    }
    {
      # grep -n: path:line:text (paths have no colon here)
      file = $0; sub(/:.*/, "", file)
      rest = substr($0, length(file) + 2); line = rest; sub(/:.*/, "", line)
      text = substr(rest, length(line) + 2)
      if (file ~ /^include\/dr\//) from = "dr"; else { split(file, p, "/"); from = p[2] }
      if (!(from in rank)) { report(file, line, "layer \"" from "\" is not in the table of scripts/check_layers.sh"); next }
      if (text ~ /#[[:space:]]*include[[:space:]]*</) {
        inc = text; sub(/^[^<]*</, "", inc); sub(/>.*/, "", inc)
        if (inc ~ "^(" netlibs ")" && from != "net") report(file, line, from "/ includes <" inc ">: outside systems are reached through net/")
        next
      }
      inc = text; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
      split(inc, q, "/"); to = q[1]
      if (index(inc, "/") == 0) { report(file, line, "includes \"" inc "\": name the layer (\"" from "/...\")"); next }
      if (to == from) next
      if (to == "test" && file ~ /_test\.cc$/) next
      if ((file ":" inc) in allowed) next
      if (!(to in rank)) { report(file, line, "includes \"" inc "\": \"" to "\" is not a layer of the table"); next }
      if (from == "dr") { report(file, line, "public header includes \"" inc "\": include/dr/ includes only dr/"); next }
      if ((from ":" to) in banned && file !~ /_test\.cc$/) {
        report(file, line, from "/ includes \"" inc "\": " from "/ must not use " to "/ (see the table above)"); next
      }
      if (rank[to] >= rank[from]) {
        report(file, line, from "/ (rank " rank[from] ") includes \"" inc "\" (" to "/, rank " rank[to] "): only lower layers")
      }
    }
    function report(f, l, why) { printf "%s:%s: %s\n", f, l, why; bad++ }
    END {
      if (bad > 0) { printf "check_layers: %d include(s) break the layering (ARCHITECTURE.md \"Layers\")\n", bad; exit 1 }
    }'
