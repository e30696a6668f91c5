#!/usr/bin/env bash
# Runs a command with rpcbind available: starts rpcbind when none answers and
# stops it again afterwards (only if this script started it), also when
# interrupted.
set -u
started=""
stop_started() {
  if [ -n "$started" ]; then
    kill "$started" 2>/dev/null
    wait "$started" 2>/dev/null
    started=""
  fi
}
trap stop_started EXIT
trap 'stop_started; exit 130' INT
trap 'stop_started; exit 143' TERM
if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
  mkdir -p /run/rpcbind
  /usr/sbin/rpcbind -f -w >/dev/null 2>&1 &
  started=$!
  for _ in $(seq 1 50); do
    rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || { echo "with-rpcbind: rpcbind did not start" >&2; }
fi
"$@"
rc=$?
stop_started
exit $rc
