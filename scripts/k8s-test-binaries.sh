#!/usr/bin/env bash
# Makes kube-apiserver, etcd and kubectl available where kube-api-test looks for them, with
# kube-controller-manager beside them (garbage collection of owned objects, namespace deletion)
# and what a real node needs (kubelet, kube-scheduler, kube-proxy):
#   ~/.kubeapitest/k8s/<version>-linux-amd64/{kube-apiserver,etcd,kubectl,kube-controller-manager,
#     kubelet,kube-scheduler,kube-proxy}
# Reuses them when present; otherwise builds them from the Go module proxy (no binary is ever
# committed). Prints the directory on the last line of stdout.
set -euo pipefail

K8S_VERSION="${OSDEPLOY_K8S_VERSION:-1.33.13}"
ETCD_VERSION="${OSDEPLOY_ETCD_VERSION:-3.5.21}"
# The JVM looks in its user.home, the account's home directory, whatever $HOME says: cache there.
ACCOUNT_HOME="$(getent passwd "$(id -u)" | cut -d: -f6 || true)"
ACCOUNT_HOME="${ACCOUNT_HOME:-$HOME}"
CACHE_ROOT="${KUBEAPITEST_DIR:-$ACCOUNT_HOME/.kubeapitest}"
TARGET="$CACHE_ROOT/k8s/${K8S_VERSION}-linux-amd64"
BUILD_ROOT="${OSDEPLOY_GO_BUILD_DIR:-$HOME/.cache/osdeploy/k8s-build}"

log() { echo "[k8s-test-binaries] $*" >&2; }

have_all() {
  [[ -x "$TARGET/kube-apiserver" && -x "$TARGET/etcd" && -x "$TARGET/kubectl" \
    && -x "$TARGET/kube-controller-manager" && -x "$TARGET/kubelet" \
    && -x "$TARGET/kube-scheduler" && -x "$TARGET/kube-proxy" ]]
}

if have_all; then
  log "using cached binaries in $TARGET"
  echo "$TARGET"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed: kube-api-test will try to download the binaries itself (needs internet)"
  exit 0
fi

mkdir -p "$TARGET" "$BUILD_ROOT"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

build_k8s() {
  local dir="$BUILD_ROOT/k8s-$K8S_VERSION"
  mkdir -p "$dir"
  cd "$dir"
  local minor="0.${K8S_VERSION#1.}"
  # The staging modules k8s.io/kubernetes pins at v0.0.0 with replace directives; the proxy
  # serves each of them under its own v0.<minor>.<patch> tag.
  local staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
    cloud-provider cluster-bootstrap code-generator component-base component-helpers
    controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
    endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
    kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver
    sample-cli-plugin sample-controller)
  {
    echo "module osdeploy.io/k8s-test-binaries"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	k8s.io/$m => k8s.io/$m v$minor"; done
    echo ")"
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
  log "resolving k8s.io/kubernetes v$K8S_VERSION from the Go module proxy"
  go mod tidy -e >&2 || true
  go get "k8s.io/kubernetes@v$K8S_VERSION" >&2
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1"
  ldflags="$ldflags -X $pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  for cmd in kube-apiserver kubectl kube-controller-manager kube-scheduler kube-proxy kubelet; do
    if [[ ! -x "$TARGET/$cmd" ]]; then
      log "building $cmd v$K8S_VERSION (a cold build takes several minutes)"
      go build -ldflags "$ldflags" -o "$TARGET/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2
      mv "$TARGET/$cmd.tmp" "$TARGET/$cmd"
    fi
  done
}

build_etcd() {
  local dir="$BUILD_ROOT/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cd "$dir"
  cat > go.mod <<GOMOD
module osdeploy.io/etcd-test-binary

go 1.22

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GOMOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "building etcd v$ETCD_VERSION"
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2
  go build -ldflags "-s -w" -o "$TARGET/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  mv "$TARGET/etcd.tmp" "$TARGET/etcd"
}

[[ -x "$TARGET/etcd" ]] || build_etcd
build_k8s

have_all || { log "build did not produce every binary in $TARGET"; exit 1; }
log "binaries ready in $TARGET"
echo "$TARGET"
