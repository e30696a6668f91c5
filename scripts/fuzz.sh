#!/usr/bin/env bash
# `make fuzz`: builds the Fuzz/ package with AddressSanitizer and libFuzzer's coverage, runs every target for
# FUZZ_SECONDS (default 60) from a copy of its committed seeds (Fuzz/Corpus/TARGET), and prints one row per
# target: executions, corpus size at the end, crashes. A crash's input is kept in Fuzz/.build-fuzz/findings and
# the target is started again for the time left (at most 5 runs). FUZZ_TARGETS picks targets.
# Exits non-zero when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz-idl fuzz-sample fuzz-rpcsvc fuzz-nis fuzz-plan fuzz-record fuzz-json fuzz-differential"}
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
fuzzer=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
[ -f "$fuzzer" ] || { echo "fuzz: no libclang_rt.fuzzer_no_main in $toolchain" >&2; exit 1; }

bash Fuzz/scripts/generate-c.sh
flags=(-c release -Xswiftc -enable-testing -Xswiftc -sanitize=address
       -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
       -Xcc -fsanitize=address -Xcc -fsanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
       -Xlinker "$fuzzer" -Xlinker -lstdc++)
# A scratch folder of its own: these flags rebuild everything, which must not disturb a plain build of Fuzz/.
flags+=(--package-path Fuzz --scratch-path Fuzz/.build-fuzz)
mkdir -p Fuzz/.build-fuzz
swift build "${flags[@]}" >Fuzz/.build-fuzz/build.log 2>&1 || { cat Fuzz/.build-fuzz/build.log >&2; exit 1; }
bin=$(swift build "${flags[@]}" --show-bin-path)

findings=Fuzz/.build-fuzz/findings
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$findings"
total_crashes=0
rows=()
for target in $targets; do
  mkdir -p "$work/$target"
  cp Fuzz/Corpus/"$target"/* "$work/$target"/ 2>/dev/null || true
  executions=0
  # fuzz-idl: 1 KiB of IDL holds a definition of each kind, and the small badinput-* seeds (the front end's bad-input
  # tests) reach the checker within it; on a busy 2-core machine it ran some 1,300 inputs/s where 4 KiB gave 90-160.
  # The binary targets keep 4 KiB: records and values need the room.
  max_len=4096
  [ "$target" != fuzz-idl ] || max_len=1024
  before=$(ls "$findings" | grep -c "^$target-" || true)
  deadline=$(( $(date +%s) + seconds ))
  for _ in 1 2 3 4 5; do
    left=$(( deadline - $(date +%s) ))
    [ "$left" -gt 0 ] || break
    log="$work/$target.log"
    # -detect_leaks=0 and ASAN_OPTIONS=detect_leaks=0: the IDL catalog and codec each target loads once hold
    # memory that LeakSanitizer reports at exit (reference cycles of recursive types' plans), which libFuzzer then
    # files as a crash of the empty input; libFuzzer's flag alone leaves that exit check on. No input leaks.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
      "$bin/$target" "$work/$target" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -detect_leaks=0 \
      -artifact_prefix="$findings/$target-" -print_final_stats=1 >"$log" 2>&1 && status=0 || status=$?
    # The last "#N" status line, or the final stats, count this run's executions.
    run=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    final=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
    executions=$(( executions + ${final:-${run:-0}} ))
    [ "$status" -ne 0 ] || break
    echo "fuzz: $target failed (status $status); its input is in $findings:" >&2
    grep -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY' "$log" | head -3 >&2 || true
  done
  crashes=$(( $(ls "$findings" | grep -c "^$target-" || true) - before ))
  total_crashes=$(( total_crashes + crashes ))
  rows+=("$(printf '%-20s %14s %12s %8s' "$target" "$executions" "$(ls "$work/$target" | wc -l)" "$crashes")")
done
printf '%-20s %14s %12s %8s\n' target executions corpus crashes
printf '%s\n' "${rows[@]}"
[ "$total_crashes" -eq 0 ]
