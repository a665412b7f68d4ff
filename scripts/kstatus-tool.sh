#!/usr/bin/env bash
# Builds the kstatus test tool (scripts/kstatus/: one object's JSON on stdin, its kstatus verdict
# on stdout, computed by sigs.k8s.io/cli-utils, the library Flux and kubectl tooling use) from the
# Go module proxy into ~/.kubeapitest/tools/, once per version of its sources. Nothing built is
# committed. Prints the binary's path on the last line of stdout; exits 1 when it cannot be built
# (no Go, or the module proxy unreachable).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/scripts/kstatus"
# Beside the Kubernetes binaries, in the account's home directory (the JVM's user.home).
ACCOUNT_HOME="$(getent passwd "$(id -u)" | cut -d: -f6 || true)"
ACCOUNT_HOME="${ACCOUNT_HOME:-$HOME}"
CACHE_ROOT="${KUBEAPITEST_DIR:-$ACCOUNT_HOME/.kubeapitest}"

log() { echo "[kstatus-tool] $*" >&2; }

# The sources decide the binary: a change to them builds a new one beside the old.
version="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)"
target="$CACHE_ROOT/tools/kstatus-$version"

if [[ -x "$target" ]]; then
  log "using $target"
  echo "$target"
  exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed (Debian: apt-get install golang-go)"
  exit 1
fi

# Built from a copy, so that resolving modules never touches the work tree.
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp "$src/go.mod" "$src/go.sum" "$src/main.go" "$build/"
mkdir -p "$CACHE_ROOT/tools"
log "building $target from the Go module proxy"
(
  cd "$build"
  export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
  go build -trimpath -ldflags "-s -w" -o "$target.tmp" .
) >&2 || { log "go build failed (is the Go module proxy reachable?)"; exit 1; }
mv "$target.tmp" "$target"
echo "$target"
