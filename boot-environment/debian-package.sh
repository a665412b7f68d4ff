#!/usr/bin/env bash
# Prints the path of a Debian 12 package downloaded once into ~/.cache/osdeploy/debian and checked
# against its pinned SHA-256. When a point release has replaced it on the mirror, the suite's
# package index names the current one (INDEX_NAME, default NAME) and its SHA-256.
#
#   boot-environment/debian-package.sh NAME POOL_FILE SHA256 [INDEX_NAME]
set -euo pipefail
export LC_ALL=C
MIRROR="${OSDEPLOY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="bookworm"
CACHE="${OSDEPLOY_CACHE:-$HOME/.cache/osdeploy}/debian"

log() { echo "[debian-package] $*" >&2; }
fail() { log "$*"; exit 1; }

name="${1:?NAME}" file="${2:?POOL_FILE}" sha="${3:?SHA256}" index_name="${4:-$1}"
mkdir -p "$CACHE"
deb="$CACHE/$(basename "$file")"
if [[ -f "$deb" ]] && echo "$sha  $deb" | sha256sum -c --quiet - >/dev/null 2>&1; then
  echo "$deb"
  exit 0
fi
if ! curl -fsS --retry 3 -o "$deb.part" "$MIRROR/$file"; then
  log "$name is gone from the mirror; looking up $SUITE's current $index_name"
  index="$CACHE/Packages-$SUITE.xz"
  curl -fsS --retry 3 -o "$index" "$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz" \
    || fail "cannot read $SUITE's package index from $MIRROR"
  read -r file sha < <(xz -dc "$index" | awk -v want="$index_name" '
    /^Package: / { p = ($2 == want) }
    p && /^Filename: / { f = $2 } p && /^SHA256: / { s = $2 }
    /^$/ && p && f { print f, s; exit }')
  [[ -n "${file:-}" ]] || fail "$SUITE's package index lists no $index_name"
  deb="$CACHE/$(basename "$file")"
  curl -fsS --retry 3 -o "$deb.part" "$MIRROR/$file" || fail "cannot download $MIRROR/$file"
fi
echo "$sha  $deb.part" | sha256sum -c --quiet - >/dev/null 2>&1 \
  || fail "$(basename "$file"): SHA-256 does not match $sha; not using it"
mv "$deb.part" "$deb"
echo "$deb"
