#!/usr/bin/env bash
# Runs PoolTests.IdleWorkersKilled_OneHeldTheTaskLock_PoolReplacesThemAndGoesOn many times in one test run (default
# 50 rounds): both idle workers SIGKILLed, one of them inside the task pipe's read lock, then a map that must finish
# with every result. Usage: scripts/stress-pool.sh [ROUNDS]. Needs a Release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export POOL_STRESS_ROUNDS="${1:-50}"
dotnet test dotnet/tests/Multiprocess.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~PoolTests.IdleWorkersKilled_OneHeldTheTaskLock" \
    --blame-hang-timeout 5m --blame-hang-dump-type none
