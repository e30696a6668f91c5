#!/usr/bin/env bash
# Builds the 32-bit C sides of Examples/ and runs every example; exits 1 when
# one fails. BIN is the folder of the root package's executables (crossbitd,
# crossbit-idl and the examples' Swift sides, built by `swift build`):
# `swift build --show-bin-path`. rpcbind is started for the run when none
# answers, and stopped afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${BIN:?set BIN to the output of swift build --show-bin-path}"
export BIN

make -s -C "$root/Examples/LegacyChecksum32" CROSSBIT_IDL="$BIN/crossbit-idl"
make -s -C "$root/Examples/SwiftService64" CROSSBIT_IDL="$BIN/crossbit-idl"
make -s -C "$root/Examples/SharedMemory32" CROSSBIT_IDL="$BIN/crossbit-idl"

echo
echo "== Example 1 (Examples/LegacyChecksum32): a 64-bit Swift program calls a legacy 32-bit C library"
bash "$root/scripts/with-rpcbind.sh" bash "$root/Examples/LegacyChecksum32/run.sh"
echo
echo "== Example 2 (Examples/SwiftService64): an unmodified 32-bit C client calls a 64-bit Swift service"
bash "$root/scripts/with-rpcbind.sh" bash "$root/Examples/SwiftService64/run.sh"
echo
echo "== Example 3 (Examples/PluginExample): the build plugin in an application's package"
"$BIN/PluginExample" | sed 's/^/  /'
echo
echo "== Example 4 (Examples/SharedMemory32): a 32-bit C program shares a table with a 64-bit Swift server"
bash "$root/scripts/with-rpcbind.sh" bash "$root/Examples/SharedMemory32/run.sh"
