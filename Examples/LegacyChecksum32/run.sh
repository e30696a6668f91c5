#!/usr/bin/env bash
# Runs the example: crossbitd with a route that names the 32-bit server's
# executable, and the 64-bit Swift client calling through it. rpcbind must
# be running (the 32-bit server registers with it); `make examples` and
# `make demo` start it when needed.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../broker.sh"

cat >"$work/crossbitd.toml" <<TOML
idl = "$here/checksum.x"

[[listen]]
layout = "lp64"
url = "unix://$work/lp64.sock"

# No layout: the broker reads it from the executable's ELF header.
[[route]]
program = "CHECKSUM_PROG"
version = "CHECKSUM_V1"
url = "rpcbind://127.0.0.1"
exec = "$here/build/checksum_server32"
idle-timeout = 30.0
TOML

echo "== crossbitd route: CHECKSUM_PROG.CHECKSUM_V1 -> rpcbind://127.0.0.1," \
  "exec build/checksum_server32 (layout from its ELF header)"
start_broker --config "$work/crossbitd.toml"
"$BIN/checksum-client" "unix://$work/lp64.sock"
stop_broker
echo "== the broker's log (activation, conversion):"
broker_log "route|started|ready|exited|restarting|does not fit|stopping" | sed 's/^/  /'
