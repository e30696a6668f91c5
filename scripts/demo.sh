#!/usr/bin/env bash
# `make demo`: builds Crossbit and the examples, shows which process is
# 32-bit and which is 64-bit (from their ELF headers, read by the broker's
# own ELF reader), runs the examples — each starts rpcbind when none runs,
# and a broker that starts the servers on demand — and checks that nothing
# it started is left running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
SWIFT=${SWIFT:-swift}
export SWIFT

echo "== Building Crossbit and the examples' Swift sides (swift build $*)"
log=$(mktemp /tmp/crossbit-demo-build.XXXXXX)
if ! "$SWIFT" build "$@" >"$log" 2>&1; then
  cat "$log"; rm -f "$log"
  echo "demo: the build failed" >&2
  exit 1
fi
tail -n 1 "$log"; rm -f "$log"
BIN=$("$SWIFT" build --show-bin-path "$@")
export BIN
make -s -C Examples/LegacyChecksum32 CROSSBIT_IDL="$BIN/crossbit-idl"
make -s -C Examples/SwiftService64 CROSSBIT_IDL="$BIN/crossbit-idl"
make -s -C Examples/SharedMemory32 CROSSBIT_IDL="$BIN/crossbit-idl"

echo
echo "== The processes of the demo, as their ELF headers say (Crossbit's ELFHeader):"
"$BIN/checksum-client" --elf \
  "$BIN/crossbitd" "$BIN/checksum-client" "$BIN/probe-server" \
  Examples/LegacyChecksum32/build/checksum_server32 Examples/LegacyChecksum32/build/libcksum.so \
  Examples/SwiftService64/build/probe_client32 \
  "$BIN/shm-server" Examples/SharedMemory32/build/table_client32 | sed "s|$root/||; s|^|  |"

bash scripts/run-examples.sh

echo
left=$(pgrep -f "$BIN/crossbitd|$BIN/probe-server|$BIN/shm-server|$root/Examples/LegacyChecksum32/build/checksum_server32" || true)
if [ -n "$left" ]; then
  echo "== FAILED: processes left behind: $left"
  exit 1
fi
echo "== Done: every process the demo started has stopped."
