#!/usr/bin/env bash
# Part of `make test`: `make install` of the debug build into a temporary
# DESTDIR, then the installed pieces are used: `man -l` renders each page,
# the installed crossbitd answers --help, bash loads a completion, and
# `make uninstall` leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT
prefix=/usr/local
root="$destdir$prefix"

make --no-print-directory install DESTDIR="$destdir" PREFIX="$prefix" CONFIGURATION=debug SWIFT="${SWIFT:-swift}" >/dev/null

fail() { echo "test-install: $*" >&2; exit 1; }
for tool in crossbitd crossbit crossbit-idl; do
  page=$(MANPAGER=cat MANWIDTH=80 man -l "$root/share/man/man1/$tool.1" 2>&1) || fail "man -l $tool.1: $page"
  grep -q "NAME" <<<"$page" || fail "$tool.1 has no NAME section:\n$page"
  grep -q "$tool" <<<"$page" || fail "$tool.1 does not name $tool"
done
help=$("$root/bin/crossbitd" --help) || fail "the installed crossbitd --help failed"
grep -q -- "--check-config" <<<"$help" || fail "crossbitd --help lacks --check-config:\n$help"
bash -c "source '$root/share/bash-completion/completions/crossbitd' && complete -p crossbitd" >/dev/null \
  || fail "the bash completion of crossbitd does not load"
grep -q "ExecStart=$prefix/bin/crossbitd --config /etc/crossbit/crossbitd.toml" "$root/lib/systemd/system/crossbitd.service" \
  || fail "crossbitd.service does not start the installed crossbitd"
grep -q "^Service=crossbitd.service" "$root/lib/systemd/system/crossbitd.socket" \
  || fail "crossbitd.socket is not installed, or passes its sockets to another service"
if command -v systemd-analyze >/dev/null; then
  # Both units as systemd reads them: an unknown key is only a warning, so any output fails.
  verify=$(systemd-analyze verify --man=no "$root/lib/systemd/system/crossbitd.socket" 2>&1) && [ -z "$verify" ] \
    || fail "systemd-analyze verify crossbitd.socket: $verify"
fi

make --no-print-directory uninstall DESTDIR="$destdir" PREFIX="$prefix" >/dev/null
left=$(find "$destdir" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "test-install: make install, man -l, crossbitd --help, completions and make uninstall work"
