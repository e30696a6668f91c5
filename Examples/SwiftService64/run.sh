#!/usr/bin/env bash
# Runs the example: crossbitd listening for 32-bit clients, registered with
# rpcbind, with a route that starts the 64-bit Swift server on demand; then
# the unmodified 32-bit C client, which finds the broker through rpcbind.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../broker.sh"

cat >"$work/crossbitd.toml" <<TOML
idl = "$here/probe.x"
rpcbind = "ilp32"          # register PROBE_PROG with rpcbind at the ilp32 endpoint

[[listen]]
layout = "ilp32"
url = "tcp://127.0.0.1:0"

[[route]]
program = "PROBE_PROG"
version = "PROBE_V1"
url = "unix://$work/probe.sock"   # passed to the server as CROSSBIT_LISTEN
exec = "$BIN/probe-server"
idle-timeout = 30.0
TOML

echo "== crossbitd route: PROBE_PROG.PROBE_V1 -> unix://…/probe.sock, exec probe-server (layout from its ELF header); registered with rpcbind"
start_broker --config "$work/crossbitd.toml"
"$here/build/probe_client32" 127.0.0.1
stop_broker
echo "== the broker's log (activation, conversion):"
broker_log "route|registered|started|ready|does not fit|stopping" | sed 's/^/  /'
