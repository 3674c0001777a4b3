#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds, and runs
# every suite: unit tests, CLI integration tests (real binary, real files), and
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Fails if any suite fails or runs no test.
set -euo pipefail
cd "$(dirname "$0")/.."
export DR_TEST_DISALLOW_SKIP=1

scripts/install-deps.sh

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh -DDR_WERROR=ON -DDR_BUILD_TESTS=ON -DDR_BUILD_BENCH=ON

echo "== unit and integration tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600

echo "== unit tests under ASan + UBSan"
BUILD_DIR=build-asan BUILD_TYPE=Debug BUILD_TARGETS=dr_unit_tests scripts/build.sh -DDR_SANITIZE=ON -DDR_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j "$(nproc)" --timeout 600
