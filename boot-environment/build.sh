#!/usr/bin/env bash
# Builds osdeploy's boot environment: a Debian kernel and an initramfs with the drivers common
# hardware needs, busybox, a jlinked Java runtime and the agent, and this directory's /init.
#
#   boot-environment/build.sh [--agent JAR] [--out DIR]
#
# Inputs: Debian 12's linux-image-amd64 kernel and busybox-static packages (downloaded from the
# Debian mirror, SHA-256 pinned below), this machine's JDK (jlink, and the C libraries its runtime
# links), the agent jar (default agent/target/osdeploy-agent.jar) and the files beside this script.
# The same inputs give the same bytes. Without --out the result is cached under
#   ~/.cache/osdeploy/boot-environment/<digest of the inputs>/{vmlinuz,initrd.img,SHA256SUMS}
# and built only when that directory is missing. Prints the directory on the last line of stdout.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/.." && pwd)"
# The Debian packages, pinned by SHA-256.
source "$here/packages.env"
# The Java modules the agent uses (jdeps on the agent jar, less what its libraries only name as
# optional: java.desktop, java.sql, jdk.jfr; plus jdk.crypto.ec for TLS with
# elliptic-curve keys, which nothing names statically).
JAVA_MODULES="java.base,java.logging,java.management,java.net.http,jdk.crypto.ec,jdk.unsupported"
CACHE="${OSDEPLOY_CACHE:-$HOME/.cache/osdeploy}"
# The tools a Windows image (format Wim) is applied with, from this machine (Debian's wimtools,
# ntfs-3g and mtools; scripts/prereqs.sh installs them), with the C libraries they link.
WINDOWS_TOOLS="wimlib-imagex mkntfs ntfsresize ntfs-3g mtools hivexsh"
GCONV_MODULES="IBM850.so UTF-16.so ISO8859-1.so"
# Every file in the initramfs gets this time, so the archive does not depend on when it was built.
EPOCH=1767225600

log() { echo "[boot-environment] $*" >&2; }
fail() { log "$*"; exit 1; }

agent="$root_dir/agent/target/osdeploy-agent.jar"
out=""
while (($#)); do
  case "$1" in
    --agent) agent="${2:?--agent needs a jar}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    *) fail "unknown option $1 (use --agent JAR, --out DIR)" ;;
  esac
done
[[ -f "$agent" ]] || fail "no agent jar at $agent (mvn -pl agent -am package builds it)"
for tool in curl dpkg-deb cpio zstd sha256sum xz; do
  command -v "$tool" >/dev/null || fail "$tool is required (scripts/prereqs.sh installs it)"
done
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
[[ -x "$java_home/bin/jlink" ]] || fail "no jlink in $java_home (a JDK, not a JRE, is required)"

kernel_deb="$("$here/debian-package.sh" "$KERNEL_PACKAGE" "$KERNEL_FILE" "$KERNEL_SHA256")"
busybox_deb="$("$here/debian-package.sh" busybox-static "$BUSYBOX_FILE" "$BUSYBOX_SHA256")"

windows_tools=()
for tool in $WINDOWS_TOOLS; do
  path="$(PATH="$PATH:/usr/sbin:/sbin" command -v "$tool")" \
    || fail "$tool is required (apt-get install wimtools ntfs-3g mtools libhivex-bin; scripts/prereqs.sh does)"
  windows_tools+=("$(readlink -f "$path")")
done

# The C libraries a Java runtime links, from this machine (the ones its JDK was built against).
libraries() { # <java home>
  find "$1/bin/java" "$1/lib" -name java -o -name '*.so' | sort \
    | xargs ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib.*ld-linux/ { print $1 }' \
    | grep -v "^$1" | sort -u
}

# The C libraries the Windows tools link.
tool_libraries() {
  printf '%s\n' "${windows_tools[@]}" | xargs ldd 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u
}

key="$(
  {
    echo "kernel $(sha256sum <"$kernel_deb")"
    echo "busybox $(sha256sum <"$busybox_deb")"
    echo "jdk $(sha256sum <"$java_home/lib/modules") $JAVA_MODULES"
    libraries "$java_home" | while read -r lib; do echo "lib $lib $(sha256sum <"$(readlink -f "$lib")")"; done
    for tool in "${windows_tools[@]}"; do echo "tool $tool $(sha256sum <"$tool")"; done
    (cd /usr/lib/x86_64-linux-gnu/gconv && cat gconv-modules.cache $GCONV_MODULES) | sha256sum
    tool_libraries | while read -r lib; do echo "lib $lib $(sha256sum <"$(readlink -f "$lib")")"; done
    echo "agent $(sha256sum <"$agent")"
    for f in build.sh debian-package.sh packages.env init udhcpc.script modules; do echo "$f $(sha256sum <"$here/$f")"; done
  } | sha256sum | cut -c1-16
)"

if [[ -z "$out" ]]; then
  out="$CACHE/boot-environment/$key"
  if [[ -f "$out/SHA256SUMS" ]]; then
    echo "$out"
    exit 0
  fi
fi
mkdir -p "$(dirname "$out")"
work="$(mktemp -d "$(dirname "$out")/.build-XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "building $key from $(basename "$kernel_deb"), $(basename "$busybox_deb") and $(basename "$agent")"

dpkg-deb -x "$kernel_deb" "$work/kernel"
kver="$(ls "$work/kernel/lib/modules")"
root="$work/root"
mkdir -p "$root"/{bin,dev,etc/osdeploy,lib64,opt/osdeploy,proc,root,run,sys,tmp}

# busybox, with a link for each of its applets.
dpkg-deb -x "$busybox_deb" "$work/busybox"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

# The kernel modules listed in ./modules and everything they depend on.
moddir="$work/kernel/lib/modules/$kver"
"$root/bin/busybox" depmod -b "$work/kernel" "$kver"
grep -v '^\s*#' "$here/modules" | awk 'NF { print $1 }' >"$work/wanted"
awk -v list="$work/wanted" '
  BEGIN { while ((getline m < list) > 0) want[m] = 1 }
  { file = $1; sub(":$", "", file); name = file; sub(".*/", "", name); sub("\\.ko.*$", "", name)
    n2 = name; gsub("-", "_", n2)
    if ((name in want) || (n2 in want)) { print file; for (i = 2; i <= NF; i++) print $i; found[name] = found[n2] = 1 } }
  END { for (m in want) { m2 = m; gsub("-", "_", m2); if (!(m in found) && !(m2 in found)) print "missing " m > "/dev/stderr" } }
' "$moddir/modules.dep" | sort -u >"$work/files"
[[ -s "$work/files" ]] || fail "no module of ./modules is in $kver"
while read -r file; do
  mkdir -p "$root/lib/modules/$kver/$(dirname "$file")"
  cp "$moddir/$file" "$root/lib/modules/$kver/$file"
done <"$work/files"
cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
"$root/bin/busybox" depmod -b "$root" "$kver"
for f in "$root/lib/modules/$kver"/modules.{dep,alias,symbols}; do
  [[ -f "$f" ]] && sort -o "$f" "$f"
done
cp "$work/wanted" "$root/etc/osdeploy/modules"

# The Java runtime, and the C libraries it needs.
"$java_home/bin/jlink" --add-modules "$JAVA_MODULES" --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output "$root/opt/osdeploy/jre"
libraries "$root/opt/osdeploy/jre" | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[[ -e "$root/lib64/ld-linux-x86-64.so.2" ]] || fail "the runtime's loader was not found by ldd"

# The Windows tools and their libraries; mtools answers to the name it is called by.
for tool in "${windows_tools[@]}"; do
  install -m 0755 "$tool" "$root/bin/$(basename "$tool")"
done
for name in mcopy mmd mdir mtype; do
  ln -sf mtools "$root/bin/$name"
done
tool_libraries | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# glibc's converters the tools reach through iconv: mtools for FAT's short names (code page 850),
# hivex for a registry hive's key names (UTF-16LE and Latin-1).
gconv=/usr/lib/x86_64-linux-gnu/gconv
mkdir -p "$root$gconv"
cp -r "$gconv"/gconv-modules "$gconv"/gconv-modules.d "$gconv"/gconv-modules.cache "$root$gconv/"
for converter in $GCONV_MODULES; do
  [[ -f "$gconv/$converter" ]] || fail "no $gconv/$converter (glibc's converters; Debian's libc6)"
  cp "$gconv/$converter" "$root$gconv/"
done
# ntfs-3g's FUSE library looks for the mount table here.
ln -s /proc/mounts "$root/etc/mtab"

cp "$agent" "$root/opt/osdeploy/osdeploy-agent.jar"
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/udhcpc.script" "$root/etc/osdeploy/udhcpc.script"
echo "$key" >"$root/etc/osdeploy/version"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

chmod -R u+rwX,go+rX,go-w "$root"
find "$root" -exec touch -h -d "@$EPOCH" {} +
(cd "$root" && find . -mindepth 1 -print0 | sort -z \
  | cpio --null --reproducible --quiet -o -H newc --owner=0:0) >"$work/initrd.cpio"
# zstd writes the same bytes with any number of threads, so every core may help.
zstd -q -T0 -19 "$work/initrd.cpio" -o "$work/initrd.img"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
(cd "$work" && sha256sum vmlinuz initrd.img >SHA256SUMS)

rm -rf "$out"
mkdir -p "$out"
mv "$work"/{vmlinuz,initrd.img,SHA256SUMS} "$out/"
log "$out: kernel $kver $(stat -c %s "$out/vmlinuz") bytes, initramfs $(stat -c %s "$out/initrd.img") bytes ($(stat -c %s "$work/initrd.cpio") uncompressed), $(wc -l <"$work/files") modules"
echo "$out"
