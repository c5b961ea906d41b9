#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Sets up a fresh Debian 12 machine (as root) and runs every test of Anchorage:
#   1. installs the Debian packages (deploy/install-deps.sh),
#   2. runs the unit tests under AddressSanitizer and UndefinedBehaviorSanitizer,
#   3. runs every fuzz target for a bounded time (clang, libFuzzer),
#   4. builds with warnings as errors and runs the whole CTest suite: unit, lint, integration and
#      end-to-end tests against real slapd, nsd and resolvers. Its summary line ends the output.
# Benchmarks are not tests; tests/run-benchmarks.sh prints their figures.
# Environment: JOBS (default 2), FUZZ_SECONDS per fuzz target (default 20).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-2}
fuzz_seconds=${FUZZ_SECONDS:-20}

step() { printf '\n==== %s\n' "$*"; }

step "Installing packages"
bash deploy/install-deps.sh

step "Unit tests under ASan and UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DANCHORAGE_SANITIZE=ON \
  -DANCHORAGE_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests anchorctl
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit -j "$jobs" --output-on-failure

step "Fuzz targets, ${fuzz_seconds}s each"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DANCHORAGE_FUZZ=ON \
  -DANCHORAGE_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzzers
ctest --test-dir build-fuzz -L fuzz --output-on-failure

step "Full suite"
cmake -S . -B build -DANCHORAGE_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build -LE bench -j "$jobs" --output-on-failure
