#!/usr/bin/env bash
# `make install` / `make uninstall`: the three executables, their man pages
# (swift-argument-parser's generate-manual), their bash, zsh and fish
# completions (--generate-completion-script) and the systemd units.
#   scripts/install.sh install|uninstall
# Settings from the environment: PREFIX (/usr/local), DESTDIR (empty),
# SYSCONFDIR (/etc, for the unit's configuration path), CONFIGURATION
# (release; `make test` installs its debug build), SWIFT (swift).
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:?usage: scripts/install.sh install|uninstall}
SWIFT=${SWIFT:-swift}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=${SYSCONFDIR:-/etc}
CONFIGURATION=${CONFIGURATION:-release}
tools=(crossbitd crossbit crossbit-idl)
root="$DESTDIR$PREFIX"

# Every installed file, relative to $root, one per line.
installed_files() {
  for tool in "${tools[@]}"; do
    echo "bin/$tool"
    echo "share/man/man1/$tool.1"
    echo "share/bash-completion/completions/$tool"
    echo "share/zsh/site-functions/_$tool"
    echo "share/fish/vendor_completions.d/$tool.fish"
  done
  echo "lib/systemd/system/crossbitd.service"
  echo "lib/systemd/system/crossbitd.socket"
  echo "lib/sysusers.d/crossbit.conf"
}

if [ "$action" = uninstall ]; then
  installed_files | while read -r file; do rm -f "$root/$file"; done
  echo "install: removed crossbit from $root"
  exit 0
fi
[ "$action" = install ] || { echo "install: unknown action '$action'" >&2; exit 2; }

# A release build links the Swift runtime statically: the installed tools run on a machine without a Swift
# toolchain, and an idle crossbitd maps 20 MiB instead of 28 (BENCHMARKS.md, row 6).
flags=(-c "$CONFIGURATION")
[ "$CONFIGURATION" = release ] && flags+=(--static-swift-stdlib)
for product in "${tools[@]}" generate-manual; do
  "$SWIFT" build "${flags[@]}" --product "$product"
done
bin=$("$SWIFT" build "${flags[@]}" --show-bin-path)
# swift-argument-parser's generate-manual writes each tool's page from the tool's own help (what its
# generate-manual plugin runs, without the plugin's build of every target).
manuals=$(mktemp -d)
trap 'rm -rf "$manuals"' EXIT
for tool in "${tools[@]}"; do
  "$bin/generate-manual" "$bin/$tool" --output-directory "$manuals"
done

install -d "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions" \
  "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d" \
  "$root/lib/systemd/system" "$root/lib/sysusers.d"
for tool in "${tools[@]}"; do
  install -m 0755 "$bin/$tool" "$root/bin/$tool"
  install -m 0644 "$manuals/$tool.1" "$root/share/man/man1/$tool.1"
  "$bin/$tool" --generate-completion-script bash >"$root/share/bash-completion/completions/$tool"
  "$bin/$tool" --generate-completion-script zsh >"$root/share/zsh/site-functions/_$tool"
  "$bin/$tool" --generate-completion-script fish >"$root/share/fish/vendor_completions.d/$tool.fish"
done
sed -e "s|@BINDIR@|$PREFIX/bin|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" dist/systemd/crossbitd.service \
  >"$root/lib/systemd/system/crossbitd.service"
install -m 0644 dist/systemd/crossbitd.socket "$root/lib/systemd/system/crossbitd.socket"
install -m 0644 dist/systemd/crossbit.sysusers.conf "$root/lib/sysusers.d/crossbit.conf"
echo "install: crossbit ($CONFIGURATION build) installed in $root"
