#!/usr/bin/env bash
# Builds the wheel of the Python shim, offline:
#  1. the engine as a native library: Multiprocess.Interop published with Native AOT (NativeLib=Shared) for
#     linux-x64 into python/multiprocess_dotnet/_engine/Multiprocess.Interop.so; the managers load it with ctypes,
#     no .NET needed, or (under the fork start method) run it in a server process through the launcher
#     _engine/multiprocess-dotnet-server;
#  2. the same assemblies as IL (plus pythonnet's Python.Runtime.dll and a runtimeconfig) next to it, for clr() only;
#  3. wheels/dist/multiprocess_dotnet-<version>-py3-none-manylinux_2_<N>_x86_64.whl with Debian's /usr/bin/python3
#     (pip, setuptools, wheel; not a pyenv one, which lacks wheel), N being the glibc floor of the library: the highest
#     GLIBC_2.N symbol version it needs (objdump). No libpython is linked: one wheel for every CPython 3.8-3.14.
# MULTIPROCESS_SKIP_AOT=1 reuses the native library of the last build (the AOT compile is the slow part).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
engine=python/multiprocess_dotnet/_engine
native_out=.cache/native-engine
project=dotnet/src/Multiprocess.Interop/Multiprocess.Interop.csproj
printf '__version__ = "%s"\n' "$(tr -d '[:space:]' < version.txt)" > python/multiprocess_dotnet/_version.py
if [ "${MULTIPROCESS_SKIP_AOT:-0}" != 1 ] || [ ! -f "$native_out/Multiprocess.Interop.so" ]; then
  rm -rf "$native_out"
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$native_out" -nologo -v q -clp:NoSummary
fi
rm -rf "$engine" wheels/dist build
dotnet publish "$project" -c Release -o "$engine" -nologo -v q -clp:NoSummary
cp "$native_out/Multiprocess.Interop.so" "$engine/"
# The launcher of the library as a manager server process of its own (the shim's Manager() under the fork start
# method): a few KiB of C, compiled with the gcc the AOT link step already needs; -ldl for glibc < 2.34.
gcc -O2 -Wall -Werror -o "$engine/multiprocess-dotnet-server" dotnet/src/Multiprocess.Interop/launcher/server-launcher.c -ldl
floor=$(objdump -T "$engine/Multiprocess.Interop.so" "$engine/multiprocess-dotnet-server" | grep -o 'GLIBC_2\.[0-9]*' | sort -u -t. -k2,2n | tail -n 1)
[ -n "$floor" ] || { echo "wheels/build.sh: no GLIBC_ symbol versions in the native library" >&2; exit 1; }
export MULTIPROCESS_DOTNET_PLATFORM_TAG="manylinux_2_${floor#GLIBC_2.}_x86_64"
/usr/bin/python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index -w wheels/dist . 2>&1 | grep -v "^$" || true
rm -rf build python/*.egg-info
wheel=$(ls wheels/dist/multiprocess_dotnet-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "wheels/build.sh: no wheel was built" >&2; exit 1; }
echo "built $wheel ($(du -k "$wheel" | cut -f1) KiB; native library needs $floor)"
