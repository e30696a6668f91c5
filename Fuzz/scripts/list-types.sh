#!/usr/bin/env bash
# Prints, one per line, NAMESPACE.TYPE for every XDRCodable type the build plugin generated for a target of this
# package (run `swift build --target TARGET` first): the lists in Sources/fuzz-*/…Types.swift come from it.
# Usage: scripts/list-types.sh TARGET
set -euo pipefail
target=$1
folder=$(find .build/plugins/outputs -type d -path "*/$target/destination/CrossbitIDLPlugin/GeneratedSources" | head -1)
[ -n "$folder" ] || { echo "list-types: no generated sources for $target; build it first" >&2; exit 1; }
for file in "$folder"/*.swift; do
  awk '/^extension [A-Za-z0-9_]+ \{/ { namespace = $2 }
       /^    (public |internal )?(indirect )?(struct|enum) [A-Za-z0-9_]+:.*XDRCodable/ {
         for (i = 1; i <= NF; i++) if ($i == "struct" || $i == "enum") { name = $(i + 1); break }
         sub(/:.*/, "", name); print namespace "." name }' "$file"
done
