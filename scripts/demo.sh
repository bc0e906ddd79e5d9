#!/usr/bin/env bash
# The main demo on a fresh machine: installs what is missing, builds, then shows Python and C# processes sharing
# work. Pass --python 3.X to pick the CPython peer (default 3.12).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/setup.sh
source scripts/pythons.sh
version=3.12
if [ "${1:-}" = "--python" ]; then version=$2; shift 2; fi
var="MP_PYTHON_${version/./}"
python=${!var:?unknown Python version $version}
cli="$here/dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess"
"$python" python/demo/connection_demo.py "$cli"
if "$cli" --help | grep -q "^  demo "; then
  "$cli" demo --python "$python" "$@"
fi
