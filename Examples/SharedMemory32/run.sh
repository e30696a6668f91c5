#!/usr/bin/env bash
# Runs the example: crossbitd listening for 32-bit clients, registered with
# rpcbind, with a route that starts the 64-bit Swift server on demand; then
# the 32-bit C program, which fills a shared region and passes its name.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../broker.sh"

cat >"$work/crossbitd.toml" <<TOML
idl = "$here/shm_table.x"
rpcbind = "ilp32"          # register SHM_PROG with rpcbind at the ilp32 endpoint

[[listen]]
layout = "ilp32"
url = "tcp://127.0.0.1:0"

[[route]]
program = "SHM_PROG"
version = "SHM_V1"
url = "unix://$work/table.sock"   # passed to the server as CROSSBIT_LISTEN
exec = "$BIN/shm-server"
idle-timeout = 30.0
TOML

# The C side must be a genuine i386 ELF: class 1 (32-bit) at byte 4, machine 3 (EM_386) at byte 18.
client="$here/build/table_client32"
elf=$(od -An -tu1 -j4 -N1 "$client" | tr -d ' ')/$(od -An -tu2 -j18 -N2 "$client" | tr -d ' ')
if [ "$elf" != "1/3" ]; then
  echo "build/table_client32 is not an i386 ELF (class/machine $elf)" >&2
  exit 1
fi

echo "== crossbitd route: SHM_PROG.SHM_V1 -> unix://…/table.sock, exec shm-server"
echo "   (the rows travel in shared memory, the call carries only the region's name)"
start_broker --config "$work/crossbitd.toml"
"$here/build/table_client32" 127.0.0.1
stop_broker
echo "== the broker's log (activation, and what the 64-bit server read and wrote):"
broker_log "route|registered|started|shm-server|row |stopping" | sed 's/^/  /'
