#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds once with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs every suite: unit
# tests, and the integration tests against real servers (CLI, PostgreSQL, S3,
# Kafka, the coordinator, notifications).
# Fails if any suite fails or runs no test.
set -euo pipefail
cd "$(dirname "$0")/.."
export DR_TEST_DISALLOW_SKIP=1

scripts/install-deps.sh

echo "== layers (scripts/check_layers.sh) and self-contained public headers"
scripts/check_layers.sh
for header in include/dr/*.h; do
  echo "#include \"${header#include/}\"" | c++ -std=c++20 -fsyntax-only -Iinclude -x c++ - ||
    { echo "$header does not compile on its own"; exit 1; }
done

# One build, instrumented: every suite runs once, against binaries built with
# AddressSanitizer and UndefinedBehaviorSanitizer (-O1, as their manuals
# advise). The restore and verify paths are where damaged data, full disks and
# refusing servers arrive, and the daemon, the runbooks and the coordinator
# live for months: a memory error or undefined behaviour anywhere the tests
# reach fails the run, not only in the unit tests. Line tables only (-g1):
# reports keep file:line at a fraction of full debug info's build time; the
# common headers are precompiled (DR_PCH) and each layer's files compiled
# eight at a time as one unit (DR_UNITY: half the library's build time, the
# shared templates optimized once per unit). The tests' own code is not
# instrumented (test/CMakeLists.txt: it compiles 3x faster, and what it
# checks is). The benchmarks are built too, so
# they keep compiling; docs/BENCHMARKS.md measures them in a release build.
echo "== build (ASan + UBSan, -O1, -Werror)"
BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DDR_WERROR=ON -DDR_SANITIZE=ON -DDR_PCH=ON -DDR_UNITY=ON \
  -DDR_BUILD_TESTS=ON -DDR_BUILD_BENCH=ON -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1"

# A sanitizer report exits 86/87, never 1, so a test expecting "operation
# failed" (exit 1) cannot mistake a memory error for it.
export ASAN_OPTIONS=detect_leaks=1:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:exitcode=87
echo "== every suite: unit, CLI, PostgreSQL, S3, Kafka, coordinator, notifications"
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900

# The README's main job runs too, with the binary just built (under the
# sanitizers): its sandbox platform, the drills and the failover must work.
echo "== the README's main job: scripts/demo.sh"
demo_dir=$(mktemp -d /tmp/ecap-dr-demo-XXXXXX)
ECAP_DR=build-asan/ecap-dr scripts/demo.sh "$demo_dir" || { echo "the demo failed: its sandbox is kept in $demo_dir"; exit 1; }
rm -rf "$demo_dir"
