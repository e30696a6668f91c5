#!/usr/bin/env bash
# Installs the Debian packages Crossbit needs: libtirpc (both architectures),
# rpcbind, rpcgen and a multilib gcc for real 32-bit C peers. For the tests
# only: man-db for `man -l` of the pages `make install` generates
# (scripts/test-install.sh); prometheus for `promtool check metrics` (Debian
# ships promtool only in the full package: 19 MB to fetch, 96 MB installed)
# and curl to scrape; Debian's 32-bit rup and rusers with the 64-bit
# rpc.rstatd and rpc.rusersd (the broker's UDP test); systemd for
# systemd-socket-activate (crossbitd's socket activation test) and
# systemd-analyze (scripts/test-install.sh checks the unit files).
# Idempotent: does nothing when everything is present.
set -u

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in libtirpc-dev rpcbind rpcsvc-proto gcc-multilib libtirpc-dev:i386 pkg-config; do
  have "$p" || need+=("$p")
done
# Only `make test` needs these (README.md's prerequisites name the list above).
test_only=(man-db prometheus curl rstat-client:i386 rusers:i386 rstatd rusersd systemd)
for p in "${test_only[@]}"; do
  have "$p" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${need[*]} (run as root to install them)" >&2
  exit 1
fi

echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
# One index failing while a mirror syncs must not stop the install.
apt-get update -q || echo "install-deps: apt-get update reported errors; continuing" >&2

# libtirpc:i386 pulls libssl3:i386, whose version must equal the amd64 one;
# the installed amd64 version may be gone from the index, so pin both to
# the i386 candidate.
v=$(apt-cache policy libssl3:i386 | awk '/Candidate:/ {print $2}')
ssl=()
if [ -n "$v" ] && [ "$v" != "(none)" ]; then
  ssl=("libssl3=$v" "libssl3:i386=$v")
fi

apt-get install -y -q --no-install-recommends "${ssl[@]}" \
  libtirpc-dev rpcbind rpcsvc-proto gcc-multilib libtirpc-dev:i386 pkg-config "${test_only[@]}"

# Only promtool is wanted from the prometheus package: a server the package
# started under systemd is stopped and disabled again.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus || echo "install-deps: could not stop the prometheus service" >&2
fi
