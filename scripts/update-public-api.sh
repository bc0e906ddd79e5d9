#!/usr/bin/env bash
# Declares the public API of the packed libraries (docs/packaging.md): runs PublicApiAnalyzers' own code fixes, which
# add undeclared public symbols to PublicAPI.Unshipped.txt (RS0016). A declared symbol that is gone (RS0017) has no
# code fix: delete its line from PublicAPI.Unshipped.txt by hand (from Shipped: a breaking change). Offline. Review the diff, then commit it with the change that made it.
# Usage: scripts/update-public-api.sh [PROJECT_DIR...]   (default: every project with a PublicAPI.Shipped.txt)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
if [ $# -gt 0 ]; then dirs=("$@"); else mapfile -t dirs < <(dirname $(ls dotnet/src/*/PublicAPI.Shipped.txt)); fi
for dir in "${dirs[@]}"; do
  project=$(ls "$dir"/*.csproj)
  echo "update-public-api: $project"
  dotnet format analyzers "$project" --diagnostics RS0016 --severity warn -v q
done
git --no-pager diff --stat -- 'dotnet/src/*/PublicAPI.*.txt'
