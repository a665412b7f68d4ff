#!/usr/bin/env bash
# Builds the operator's and the daemon's container images without a registry or a base image:
# each image's file system is assembled here from a jlinked Java runtime of this machine's JDK, the
# C libraries it links, the Debian tools the program runs, and the project's jars, and written as
# an image archive that `docker load` and `ctr images import` both read (a Docker archive's
# manifest.json and an OCI layout's index.json over the same blobs).
#
#   deploy/images/build.sh [--out DIR] [operator] [daemon]
#
# Needs the jars (mvn -B package -DskipTests) and, for the daemon, the boot environment it ships
# (boot-environment/build.sh, run here) and iPXE (scripts/ipxe.sh). Writes DIR/osdeploy-<name>.tar
# (default DIR: target/images) and prints "<tag> <image id> <bytes>" per image, the image id being
# the SHA-256 of its configuration: the same inputs give the same id. Both images run as user 65532
# and need no shell; the daemon's carries busybox for its init container's chown.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"

log() { echo "[images] $*" >&2; }
fail() { log "$*"; exit 1; }

out="$root_dir/target/images"
names=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    operator | daemon) names+=("$1"); shift ;;
    *) fail "usage: build.sh [--out DIR] [operator] [daemon]" ;;
  esac
done
[[ ${#names[@]} -gt 0 ]] || names=(operator daemon)
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root_dir/pom.xml" | head -1)"
[[ -n "$version" ]] || fail "no version in pom.xml"
for tool in tar sha256sum ldd; do
  command -v "$tool" >/dev/null || fail "$tool is required"
done
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
[[ -x "$java_home/bin/jlink" ]] || fail "no jlink in $java_home (a JDK, not a JRE, is required)"
# jdeps --print-module-deps of each jar, and the elliptic curves TLS needs.
JAVA_MODULES="java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported"
mkdir -p "$out"
work="$(mktemp -d "$out/.build-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The C libraries the given programs and shared objects link, as absolute paths on this machine.
libraries() {
  ldd "$@" 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib.*ld-linux/ { print $1 }' \
    | grep -v "^$work/" | sort -u
}

# Copies files (absolute paths on this machine) into the same paths under a root.
copy_in() { # <root> <file>...
  local r="$1" f
  shift
  for f in "$@"; do
    mkdir -p "$r$(dirname "$f")"
    cp -L "$f" "$r$f"
  done
}

# The runtime layer both images share: the Java runtime, its libraries, the user, /tmp.
runtime_layer() { # <root>
  local r="$1"
  mkdir -p "$r"/{etc,tmp,home/osdeploy,opt/osdeploy}
  chmod 1777 "$r/tmp" "$r/home/osdeploy"
  "$java_home/bin/jlink" --add-modules "$JAVA_MODULES" --strip-debug --no-header-files \
    --no-man-pages --compress=2 --output "$r/opt/osdeploy/jre"
  # shellcheck disable=SC2046
  copy_in "$r" $(libraries "$r/opt/osdeploy/jre/bin/java" $(find "$r/opt/osdeploy/jre/lib" -name '*.so'))
  printf 'root:x:0:0:root:/root:/sbin/nologin\nosdeploy:x:65532:65532:osdeploy:/home/osdeploy:/sbin/nologin\n' \
    >"$r/etc/passwd"
  printf 'root:x:0:\nosdeploy:x:65532:\n' >"$r/etc/group"
}

# A reproducible tar of a directory: sorted, owned by root, one fixed time.
pack() { # <dir> <tar>
  find "$1" -exec touch -h -d @0 {} +
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$1" -cf "$2" .
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Writes the image archive of the layer directories given, with its configuration.
image() { # <name> <config fragment: User, Entrypoint, Cmd, ...> <layer dir>...
  local name="$1" fragment="$2" dir="$work/$1" layers=() diff_ids=() descriptors=()
  shift 2
  mkdir -p "$dir/archive/blobs/sha256"
  local i=0 layer
  for layer in "$@"; do
    i=$((i + 1))
    pack "$layer" "$dir/layer$i.tar"
    local s size
    s="$(sha "$dir/layer$i.tar")"
    size="$(stat -c %s "$dir/layer$i.tar")"
    mv "$dir/layer$i.tar" "$dir/archive/blobs/sha256/$s"
    layers+=("\"blobs/sha256/$s\"")
    diff_ids+=("\"sha256:$s\"")
    descriptors+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$s\",\"size\":$size}")
  done
  local config="$dir/config.json" tag="osdeploy/$name:$version"
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{%s},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$fragment" "$(IFS=,; echo "${diff_ids[*]}")" >"$config"
  local config_sha
  config_sha="$(sha "$config")"
  cp "$config" "$dir/archive/blobs/sha256/$config_sha"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[%s]}' \
    "$config_sha" "$(stat -c %s "$config")" "$(IFS=,; echo "${descriptors[*]}")" >"$dir/manifest"
  local manifest_sha
  manifest_sha="$(sha "$dir/manifest")"
  cp "$dir/manifest" "$dir/archive/blobs/sha256/$manifest_sha"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"docker.io/%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_sha" "$(stat -c %s "$dir/manifest")" "$tag" "$version" >"$dir/archive/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/archive/oci-layout"
  printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":[%s]}]' \
    "$config_sha" "$tag" "$(IFS=,; echo "${layers[*]}")" >"$dir/archive/manifest.json"
  pack "$dir/archive" "$out/osdeploy-$name.tar.part"
  mv "$out/osdeploy-$name.tar.part" "$out/osdeploy-$name.tar"
  echo "$tag sha256:$config_sha $(stat -c %s "$out/osdeploy-$name.tar")"
}

runtime_layer "$work/runtime"
for name in "${names[@]}"; do
  app="$work/$name-app"
  case "$name" in
    operator)
      jar="$root_dir/operator/target/osdeploy-operator.jar"
      [[ -f "$jar" ]] || fail "$jar is missing (mvn -B package -DskipTests)"
      ipxe="$(bash "$root_dir/scripts/ipxe.sh" | tail -1)"
      tools="$work/operator-tools"
      xorriso="$(command -v xorriso)" || fail "xorriso is required (apt-get install xorriso)"
      # shellcheck disable=SC2046
      copy_in "$tools" "$xorriso" $(libraries "$xorriso" | while read -r l; do
        [[ -e "$work/runtime$l" ]] || echo "$l"
      done) \
        /usr/lib/ISOLINUX/isolinux.bin /usr/lib/ISOLINUX/isohdpfx.bin \
        /usr/lib/syslinux/modules/bios/ldlinux.c32
      mkdir -p "$tools/usr/lib/ipxe" "$tools/var/lib/osdeploy/media"
      chmod 1777 "$tools/var/lib/osdeploy/media"
      cp "$ipxe/ipxe.lkrn" "$ipxe/ipxe.efi" "$tools/usr/lib/ipxe/"
      mkdir -p "$app/opt/osdeploy"
      cp "$jar" "$app/opt/osdeploy/osdeploy-operator.jar"
      image operator \
        '"User":"65532:65532","Env":["PATH=/usr/bin:/bin","HOME=/home/osdeploy"],"WorkingDir":"/home/osdeploy","ExposedPorts":{"8088/tcp":{},"8089/tcp":{}},"Entrypoint":["/opt/osdeploy/jre/bin/java","-jar","/opt/osdeploy/osdeploy-operator.jar"],"Cmd":["run"]' \
        "$work/runtime" "$tools" "$app"
      ;;
    daemon)
      jar="$root_dir/multicast-daemon/target/osdeploy-daemon.jar"
      [[ -f "$jar" ]] || fail "$jar is missing (mvn -B package -DskipTests)"
      ipxe="$(bash "$root_dir/scripts/ipxe.sh" | tail -1)"
      be="$(bash "$root_dir/boot-environment/build.sh" | tail -1)"
      source "$root_dir/boot-environment/packages.env"
      busybox_deb="$("$root_dir/boot-environment/debian-package.sh" busybox-static "$BUSYBOX_FILE" "$BUSYBOX_SHA256")"
      tools="$work/daemon-tools"
      mkdir -p "$tools/bin" "$tools/usr/lib/ipxe" "$tools/opt/osdeploy/boot-environment"
      dpkg-deb --fsys-tarfile "$busybox_deb" | tar -xO ./bin/busybox >"$tools/bin/busybox"
      chmod 0755 "$tools/bin/busybox"
      ln -s busybox "$tools/bin/chown"
      cp "$ipxe/undionly.kpxe" "$ipxe/ipxe.efi" "$ipxe/snponly.efi" "$tools/usr/lib/ipxe/"
      cp "$be/vmlinuz" "$be/initrd.img" "$be/SHA256SUMS" "$tools/opt/osdeploy/boot-environment/"
      mkdir -p "$app/opt/osdeploy"
      cp "$jar" "$app/opt/osdeploy/osdeploy-daemon.jar"
      image daemon \
        '"User":"65532:65532","Env":["PATH=/bin","HOME=/home/osdeploy"],"WorkingDir":"/home/osdeploy","Entrypoint":["/opt/osdeploy/jre/bin/java","-jar","/opt/osdeploy/osdeploy-daemon.jar"]' \
        "$work/runtime" "$tools" "$app"
      ;;
  esac
done
