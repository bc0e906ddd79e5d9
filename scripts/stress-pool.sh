#!/usr/bin/env bash
# Runs the pool's worker-kill tests many times in one test run (default 50 rounds each):
#  - PoolTests.IdleWorkersKilled_OneHeldTheTaskLock_PoolReplacesThemAndGoesOn: both idle workers SIGKILLed, one of
#    them inside the task pipe's read lock, then a map that must finish with every result;
#  - PoolKillStressTests.RandomWorkerKills_DuringMapImapApplyAsync_EveryJobExactOrFailedByName: two random workers
#    SIGKILLed while a Map, an Imap and ten ApplyAsync run; every job ends, exact or failed with a ProcessException
#    naming the loss, and the pool then serves a whole Map.
# Usage: scripts/stress-pool.sh [ROUNDS]. Needs a Release build. Each round prints its outcome (TestContext.Out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export POOL_STRESS_ROUNDS="${1:-50}"
dotnet test dotnet/tests/Multiprocess.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~PoolTests.IdleWorkersKilled_OneHeldTheTaskLock|FullyQualifiedName~PoolKillStressTests" \
    --logger "console;verbosity=detailed" --blame-hang-timeout 5m --blame-hang-dump-type none
