#!/usr/bin/env bash
# Builds the Examples package (Examples/Package.swift: the Swift sides of every
# example, on a path dependency to this repository) and prints the folder of its
# executables. The build's output is shown only when it fails. SWIFT: the swift
# to use; arguments go to `swift build` (e.g. -c release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
swift=${SWIFT:-swift}
log=$(mktemp /tmp/crossbit-examples-build.XXXXXX)
if ! "$swift" build --package-path "$root/Examples" "$@" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  echo "build-examples: the Examples package did not build" >&2
  exit 1
fi
rm -f "$log"
"$swift" build --package-path "$root/Examples" --show-bin-path "$@"
