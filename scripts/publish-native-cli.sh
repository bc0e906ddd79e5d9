#!/usr/bin/env bash
# Publishes the `multiprocess` command as a native executable (Native AOT, linux-x64): artifacts/native-cli/multiprocess,
# which needs no .NET runtime and starts in milliseconds. The framework-dependent build (dotnet build:
# dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess) stays the one for development and the tests.
# Offline: the AOT compiler comes from the NuGet feed the SDK already uses. `multiprocess-bench cli` compares the two.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
out=artifacts/native-cli
rm -rf "$out"
dotnet publish dotnet/src/Multiprocess.Cli/Multiprocess.Cli.csproj -c Release -r linux-x64 -p:PublishAot=true -o "$out" -nologo -v q -clp:NoSummary
mv "$out/Multiprocess.Cli" "$out/multiprocess"
rm -f "$out"/*.dbg "$out"/*.pdb "$out"/*.xml
echo "published $out/multiprocess ($(du -k "$out/multiprocess" | cut -f1) KiB)"
