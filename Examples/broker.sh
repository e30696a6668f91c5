# Sourced by the examples' run.sh: a work folder ($work, removed on exit),
# and crossbitd started and stopped.
#   start_broker ARGS...   starts crossbitd ARGS, logging to $work/crossbitd.log,
#                          returns once it is ready; stopped on exit
#   stop_broker            SIGTERM, then waits (the broker stops the servers it started)
#   broker_log PATTERN     the log lines matching PATTERN, shortened
set -euo pipefail
# BIN: the root package's executables (crossbitd and the examples' Swift sides).
BIN=${BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build/debug}
broker_pid=""
work=$(mktemp -d /tmp/crossbit-example.XXXXXX)
broker_logfile="$work/crossbitd.log"
trap 'stop_broker; rm -rf "$work"' EXIT

start_broker() {
  "$BIN/crossbitd" "$@" >"$broker_logfile" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 100); do
    grep -qs "crossbitd ready" "$broker_logfile" && return 0
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "crossbitd did not start:" >&2
  cat "$broker_logfile" >&2
  return 1
}

stop_broker() {
  if [ -n "$broker_pid" ]; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}

# Log lines without the timestamp and logger label: "level: message metadata".
broker_log() {
  grep -E "$1" "$broker_logfile" | sed -E 's/^[^ ]+ ([a-z]+) crossbitd ?:/\1:/' | cut -c1-220
}
