# The steps of the script that run-tutorial.sh makes from README.md (sourced
# by it; $1 is the tutorial's folder, holding block-N, each block's text).
# A failing step ends the run: set -e is on, and the exit trap shows the
# failing block's output and stops everything started in the background.
tutorial_work=$1
tutorial_groups=()
tutorial_current=""
tutorial_last_output=""

# Runs block $1 in this shell (a `cd` or `export` in it carries over).
tutorial_run() {
  local start=$SECONDS
  tutorial_current="$tutorial_work/output-$1"
  tutorial_last_output=$tutorial_current
  . "$tutorial_work/block-$1" > "$tutorial_current" 2>&1
  tutorial_current=""
  echo "-- block $1: ran in $((SECONDS - start)) s"
}

# Writes block $1 to the file $2 (relative to the tutorial's current folder).
tutorial_file() {
  echo "-- block $1: file $2"
  mkdir -p "$(dirname "$2")"
  cp "$tutorial_work/block-$1" "$2"
}

# Runs block $1 as "in another terminal": in the background, in a process
# group of its own; returns once its output shows $2 (at most 5 minutes).
tutorial_background() {
  echo "-- block $1: in another terminal, until it prints '$2'"
  tutorial_current="$tutorial_work/output-$1"
  setsid bash -euo pipefail "$tutorial_work/block-$1" > "$tutorial_current" 2>&1 < /dev/null &
  local pid=$!
  tutorial_groups+=("$pid")
  for _ in $(seq 1 1500); do
    if grep -qF -- "$2" "$tutorial_current"; then tutorial_current=""; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "run-tutorial: block $1 did not print '$2'" >&2
  return 1
}

# Block $1 is the exact output the last run block must have printed.
tutorial_output() {
  echo "-- block $1: expected output"
  if ! diff -u --label expected --label printed "$tutorial_work/block-$1" "$tutorial_last_output"; then
    echo "run-tutorial: the output differs from README.md's block $1" >&2
    return 1
  fi
}

# Block $1 lists the Debian packages: it must name every one that $2 (install-deps.sh) installs.
tutorial_packages() {
  echo "-- block $1: packages"
  local list
  list=$(grep -m1 '^for p in ' "$2" | sed 's/^for p in //; s/; do.*//')
  [ -n "$list" ] || { echo "run-tutorial: no package list in $2" >&2; return 1; }
  for package in $list; do
    grep -qF -- " $package" "$tutorial_work/block-$1" || {
      echo "run-tutorial: README.md's prerequisites do not name $package ($2 installs it)" >&2
      return 1
    }
  done
}

# Stops what the background blocks started (Ctrl-C in their terminals):
# SIGINT to each group, SIGKILL to what is left after 20 s.
tutorial_stop() {
  local pid
  for pid in "${tutorial_groups[@]}"; do
    kill -INT -- "-$pid" 2>/dev/null || true
  done
  for pid in "${tutorial_groups[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  tutorial_groups=()
}

tutorial_exit() {
  local status=$?
  if [ $status -ne 0 ] && [ -n "$tutorial_current" ] && [ -f "$tutorial_current" ]; then
    echo "run-tutorial: the failing block printed:" >&2
    sed 's/^/  | /' "$tutorial_current" >&2
  fi
  tutorial_stop
  exit $status
}
trap tutorial_exit EXIT
