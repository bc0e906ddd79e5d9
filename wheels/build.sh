#!/usr/bin/env bash
# Builds the wheel of the Python shim: publishes the engine (Multiprocess.Interop and its dependencies, with
# pythonnet's Python.Runtime.dll) into python/multiprocess_dotnet/_engine, then builds
# wheels/dist/multiprocess_dotnet-<version>-py3-none-any.whl offline with Debian's /usr/bin/python3 (pip, setuptools, wheel; not a pyenv one, which lacks wheel).
# The wheel holds IL only: it runs wherever the .NET 10 runtime is installed (Linux x64 tested).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
engine=python/multiprocess_dotnet/_engine
rm -rf "$engine" wheels/dist build
printf '__version__ = "%s"\n' "$(tr -d '[:space:]' < version.txt)" > python/multiprocess_dotnet/_version.py
dotnet publish dotnet/src/Multiprocess.Interop/Multiprocess.Interop.csproj -c Release -o "$engine" -nologo -v q -clp:NoSummary
/usr/bin/python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index -w wheels/dist . 2>&1 | grep -v "^$" || true
rm -rf build python/*.egg-info
wheel=$(ls wheels/dist/multiprocess_dotnet-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "wheels/build.sh: no wheel was built" >&2; exit 1; }
echo "built $wheel"
