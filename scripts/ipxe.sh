#!/usr/bin/env bash
# Makes Debian 13's iPXE boot files available to the media builder without touching the system's
# packages: downloads the `ipxe` package of Debian 13 (trixie) from the Debian mirror, checks its
# SHA-256, and unpacks it once into
#   ~/.cache/osdeploy/ipxe/<version>/usr/lib/ipxe/{ipxe.lkrn,ipxe.efi,...}
# Debian 12's iPXE has no HTTPS; Debian 13's has, which media pinning a CA need. The operator's
# image copies the same files from here (deploy/images/build.sh).
# Prints the directory holding ipxe.lkrn and ipxe.efi on the last line of stdout.
set -euo pipefail

MIRROR="${OSDEPLOY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="trixie"
VERSION="1.21.1+git20250501.dad20602+dfsg-1"
SHA256="eeaca79dbde0fb86c102bf1d362c6f6a67ed0ddab38b3dd12e1b332339f5dd99"
CACHE_ROOT="${OSDEPLOY_CACHE:-$HOME/.cache/osdeploy}/ipxe"

log() { echo "[ipxe] $*" >&2; }
fail() { log "$*"; exit 1; }

unpacked() { [[ -r "$CACHE_ROOT/$1/usr/lib/ipxe/ipxe.lkrn" && -r "$CACHE_ROOT/$1/usr/lib/ipxe/ipxe.efi" ]]; }

if unpacked "$VERSION"; then
  echo "$CACHE_ROOT/$VERSION/usr/lib/ipxe"
  exit 0
fi

command -v curl >/dev/null || fail "curl is required to download Debian's ipxe package"
command -v dpkg-deb >/dev/null || fail "dpkg-deb is required to unpack Debian's ipxe package"
mkdir -p "$CACHE_ROOT"
work="$(mktemp -d "$CACHE_ROOT/.download-XXXXXX")"
trap 'rm -rf "$work"' EXIT

fetch() { curl -fsS --retry 3 -o "$2" "$1"; }

deb="$work/ipxe.deb"
if ! fetch "$MIRROR/pool/main/i/ipxe/ipxe_${VERSION}_all.deb" "$deb"; then
  # A point release replaced the package: take the one the suite lists now, checked against the
  # SHA-256 in the suite's package index.
  log "ipxe $VERSION is gone from the mirror; looking up $SUITE's current ipxe"
  fetch "$MIRROR/dists/$SUITE/main/binary-all/Packages.xz" "$work/Packages.xz" \
    || fail "cannot read $SUITE's package index from $MIRROR"
  read -r VERSION filename SHA256 < <(xz -dc "$work/Packages.xz" | awk '
    /^Package: / { p = ($2 == "ipxe") }
    p && /^Version: / { v = $2 } p && /^Filename: / { f = $2 } p && /^SHA256: / { s = $2 }
    /^$/ && p && f { print v, f, s; exit }')
  [[ -n "${filename:-}" ]] || fail "$SUITE's package index lists no ipxe"
  if unpacked "$VERSION"; then
    echo "$CACHE_ROOT/$VERSION/usr/lib/ipxe"
    exit 0
  fi
  fetch "$MIRROR/$filename" "$deb" || fail "cannot download $MIRROR/$filename"
fi
echo "$SHA256  $deb" | sha256sum -c --quiet - >/dev/null 2>&1 \
  || fail "ipxe $VERSION: SHA-256 does not match $SHA256; not using it"
dpkg-deb -x "$deb" "$work/root"
rm -rf "${CACHE_ROOT:?}/$VERSION"
mv "$work/root" "$CACHE_ROOT/$VERSION"
unpacked "$VERSION" || fail "ipxe $VERSION has no usr/lib/ipxe/ipxe.lkrn or ipxe.efi"
log "Debian $SUITE's ipxe $VERSION in $CACHE_ROOT/$VERSION"
echo "$CACHE_ROOT/$VERSION/usr/lib/ipxe"
