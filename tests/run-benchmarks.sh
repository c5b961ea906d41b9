#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Anchorage and runs every benchmark (CTest label bench); each prints its figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "${JOBS:-2}"
ctest --test-dir build -L bench -V | grep -vE '^(UpdateCTestConfiguration|Test project|Constructing|Checking|Updating|Parse|Add|test [0-9]+$)'
