#!/usr/bin/env bash
# Runs README.md's tutorial as written (part of `make test`): its code blocks,
# in order, in a new temporary folder beside a link named `crossbit` to this
# repository, so that the README cannot drift from the code.
#
# An HTML comment before a block says what to do with it:
#   <!-- tutorial: run -->            run it in the tutorial's shell (cd and export carry over)
#   <!-- tutorial: file PATH -->      write it to PATH
#   <!-- tutorial: background "TEXT" -->  run it in "another terminal": in the background,
#                                     ready once its output shows TEXT
#   <!-- tutorial: output -->         the output the previous run block must print, exactly
#   <!-- tutorial: stop -->           (no block) stop what runs in the background
#   <!-- tutorial: packages -->       the Debian packages: must name every package of
#                                     scripts/install-deps.sh (installing is make test's job)
# Blocks without a comment are not run. rpcbind must be running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/crossbit-tutorial.XXXXXX)
ln -s "$root" "$work/crossbit"
script="$work/tutorial.sh"

# 1. The README's tutorial as one script.
{
  echo 'set -euo pipefail'
  echo ". \"$root/scripts/tutorial-steps.sh\" \"$work\""
  echo "cd \"$work\""
} > "$script"
action="" step=0 block="" in_block=0
while IFS= read -r line || [ -n "$line" ]; do
  if [ $in_block -eq 1 ]; then
    if [[ "$line" == '```' ]]; then
      in_block=0
      step=$((step + 1))
      printf '%s' "$block" > "$work/block-$step"
      case "$action" in
        run) echo "tutorial_run $step" ;;
        file\ *) echo "tutorial_file $step '${action#file }'" ;;
        background\ *) echo "tutorial_background $step ${action#background }" ;;
        output) echo "tutorial_output $step" ;;
        packages) echo "tutorial_packages $step '$root/scripts/install-deps.sh'" ;;
        "") ;;
        *) echo "run-tutorial: README.md: unknown tutorial action '$action'" >&2; exit 1 ;;
      esac >> "$script"
      action=""
    else
      block+="$line"$'\n'
    fi
  elif [[ "$line" =~ ^\<!--\ tutorial:\ (.*)\ --\>$ ]]; then
    action="${BASH_REMATCH[1]}"
    if [ "$action" = stop ]; then echo "tutorial_stop" >> "$script"; action=""; fi
  elif [[ "$line" == '```'* ]]; then
    in_block=1 block=""
  fi
done < "$root/README.md"
[ $step -gt 0 ] || { echo "run-tutorial: README.md has no tutorial blocks" >&2; exit 1; }

# 2. Run it; everything it started in the background is stopped at the end.
echo "== README tutorial in $work ($step blocks)"
if bash "$script"; then
  rm -rf "$work"
  echo "== README tutorial: passed"
else
  echo "== README tutorial: FAILED (its files are in $work)" >&2
  exit 1
fi
