#!/usr/bin/env bash
# Writes rpcgen's XDR routines for IDL/crossbit_sample.x, in both layouts, into Sources/CSampleXDR/generated/
# (not in git): `crossbit-idl rpcl --layout L`, then `rpcgen -N -h` and `-c`. The ILP32 copy's routines are
# renamed xdr_ilp32_* so that both link into one program; each layout's header is included by one C file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/CSampleXDR/generated
lowered=.build/csample
idl=../IDL/crossbit_sample.x
(cd .. && swift build --product crossbit-idl >/dev/null)
idl_tool="$(cd .. && swift build --show-bin-path)/crossbit-idl"
for layout in ilp32 lp64; do
  dir="$out/$layout"
  mkdir -p "$dir" "$lowered/$layout"
  "$idl_tool" rpcl --layout "$layout" "$idl" > "$lowered/$layout/new.x"
  # Written again only when the lowering changed, so that the C is not rebuilt every time.
  if ! cmp -s "$lowered/$layout/new.x" "$lowered/$layout/crossbit_sample.x" || [ ! -f "$dir/crossbit_sample_xdr.c" ]; then
    mv "$lowered/$layout/new.x" "$lowered/$layout/crossbit_sample.x"
    (cd "$lowered/$layout" && rpcgen -N -h -o crossbit_sample.h crossbit_sample.x \
      && rpcgen -N -c -o crossbit_sample_xdr.c crossbit_sample.x)
    if [ "$layout" = ilp32 ]; then
      sed -i 's/xdr_sample_/xdr_ilp32_sample_/g' "$lowered/$layout/crossbit_sample.h" "$lowered/$layout/crossbit_sample_xdr.c"
    fi
    # The source includes its header by the name rpcgen was given.
    cp "$lowered/$layout/crossbit_sample.h" "$lowered/$layout/crossbit_sample_xdr.c" "$dir/"
  fi
done
