#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds, and runs
# every suite: unit tests, CLI integration tests (real binary, real files), and
# the unit tests and the restore/verify integration suites again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
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

# Line tables only (-g1): stack traces and sanitizer reports keep file:line,
# and the build takes about a quarter less time than with full debug info.
echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh -DDR_WERROR=ON -DDR_BUILD_TESTS=ON -DDR_BUILD_BENCH=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"

echo "== unit and integration tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600

echo "== unit tests, and the restore/verify integration suites, under ASan + UBSan"
# The restore and verify paths are where damaged data, full disks and refusing
# servers arrive: run the suites that drive them through the real binary (CLI,
# PostgreSQL, Kafka, S3) against the sanitized binary too, not only the unit
# tests. Only ecap-dr and the unit tests are built with the sanitizers: the
# integration suites are the ones built above, pointed at the sanitized binary
# through ECAP_DR_TEST_BINARY (test/support/dr_binary.h), so they are not
# compiled twice.
# A sanitizer report exits 86/87, never 1, so a test expecting "operation
# failed" (exit 1) cannot mistake a memory error for it.
BUILD_DIR=build-asan BUILD_TYPE=Debug BUILD_TARGETS="dr_unit_tests ecap-dr" \
  scripts/build.sh -DDR_SANITIZE=ON -DDR_BUILD_TESTS=ON -DDR_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-g1"
export ASAN_OPTIONS=detect_leaks=1:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:exitcode=87
ctest --test-dir build-asan -L unit --output-on-failure -j "$(nproc)" --timeout 600
# The S3 suite is one ctest entry: under the sanitizers it runs the tests that
# back up, restore and verify (lake, repository on S3, replica), not the
# 10,000-object scale test, the mirror or the backend conformance suite, which
# the run above covers (a command-line --gtest_filter, as the other suites'
# entries have, wins over this variable).
ECAP_DR_TEST_BINARY="$PWD/build-asan/ecap-dr" \
GTEST_FILTER='Lake*:S3CliTest.RepositoryOnS3RoundTrip:S3CliTest.ReplicateThenRestoreFromTheReplicaAlone:S3CliTest.DataLakeIncrementalBackupAndRestoreAsOfAnEarlierBackup' \
  ctest --test-dir build -L integration -LE 'coordinator|notify' --output-on-failure -j "$(nproc)" --timeout 900
