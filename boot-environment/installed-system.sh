#!/usr/bin/env bash
# Builds the initramfs of a small installed system that runs the agent as a service, for the tests
# of a restart into the boot environment. It is the boot environment's own initramfs (kernel
# drivers, busybox, runtime, agent) with one more archive on top:
#   - an /init that brings the network up and runs the agent as an installed system's service
#     would: --source client, a state directory of its own, not --boot-environment;
#   - Debian 12's kexec (kexec-tools), which the agent uses to start the boot environment.
# Debian builds kexec against Xen's control library; on a machine without Xen it only asks that
# library whether it runs under Xen. A stand-in that answers no is compiled here, so that the system
# does not carry Xen's libraries.
#
#   boot-environment/installed-system.sh BOOT_ENVIRONMENT_DIR OUT_INITRD
#
# Boot OUT_INITRD with BOOT_ENVIRONMENT_DIR/vmlinuz and osdeploy.server=URL on the command line.
# It prints "installed-system: ..." lines on the console and powers off when the agent exits.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/packages.env"

log() { echo "[installed-system] $*" >&2; }
fail() { log "$*"; exit 1; }

be="${1:?usage: installed-system.sh BOOT_ENVIRONMENT_DIR OUT_INITRD}"
out="${2:?usage: installed-system.sh BOOT_ENVIRONMENT_DIR OUT_INITRD}"
[[ -f "$be/initrd.img" ]] || fail "$be/initrd.img is missing (boot-environment/build.sh makes it)"
for tool in cpio gcc dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is required (scripts/prereqs.sh installs it)"
done

kexec_deb="$("$here/debian-package.sh" kexec-tools "$KEXEC_FILE" "$KEXEC_SHA256")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kexec_deb" "$work/kexec"
root="$work/root"
mkdir -p "$root/bin" "$root/lib/x86_64-linux-gnu" "$root/var/lib/osdeploy"
cp "$work/kexec/sbin/kexec" "$root/bin/kexec"

cat >"$work/xenctrl.c" <<'EOF'
#include <stddef.h>
/* Not under Xen: opening the hypervisor interface fails, so nothing else is called. */
char xc__hypercall_buffer_HYPERCALL_BUFFER_NULL[40];
void *xc_interface_open(void *logger, void *dombuild_logger, unsigned flags) { return NULL; }
int xc_interface_close(void *xch) { return 0; }
int xc_version(void *xch, int cmd, void *arg) { return -1; }
int xc_get_max_cpus(void *xch) { return -1; }
int xc_get_machine_memory_map(void *xch, void *entries, unsigned max) { return -1; }
void *xc__hypercall_buffer_array_alloc(void *xch, void *array, unsigned index, void *hbuf,
                                        size_t size) { return NULL; }
void *xc_hypercall_buffer_array_create(void *xch, unsigned n) { return NULL; }
void xc_hypercall_buffer_array_destroy(void *xch, void *array) {}
int xc_kexec_exec(void *xch, int type) { return -1; }
int xc_kexec_get_range(void *xch, int range, int nr, unsigned long *size,
                       unsigned long *start) { return -1; }
int xc_kexec_load(void *xch, unsigned char type, unsigned short arch, unsigned long entry,
                  unsigned nr, void *segments) { return -1; }
int xc_kexec_status(void *xch, int type) { return -1; }
int xc_kexec_unload(void *xch, int type) { return -1; }
EOF
echo 'VERS_4.17.0 { global: xc_*; local: *; };' >"$work/xenctrl.map"
gcc -shared -fPIC -O2 -o "$root/lib/x86_64-linux-gnu/libxenctrl.so.4.17" \
  -Wl,-soname,libxenctrl.so.4.17 -Wl,--version-script="$work/xenctrl.map" "$work/xenctrl.c"

cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
ln -sf /run/resolv.conf /etc/resolv.conf 2>/dev/null
exec >/dev/console 2>&1 </dev/null
echo "installed-system: started, kernel $(uname -r)"
server=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in osdeploy.server=*) server="${arg#*=}" ;; esac
done
while read -r module; do modprobe "$module" 2>/dev/null; done </etc/osdeploy/modules
ip link set lo up
for path in /sys/class/net/*; do
  [ "${path##*/}" = lo ] || ip link set "${path##*/}" up
done
sleep 3
for path in /sys/class/net/*; do
  name="${path##*/}"
  [ "$name" = lo ] || udhcpc -n -q -t 10 -T 2 -i "$name" -s /etc/osdeploy/udhcpc.script \
    >/dev/null 2>&1
done
echo "installed-system: running the agent against $server"
/opt/osdeploy/jre/bin/java -XX:+UseSerialGC -jar /opt/osdeploy/osdeploy-agent.jar run \
  --server "$server" --source client --state-dir /var/lib/osdeploy --non-interactive
echo "installed-system: the agent exited with status $?"
poweroff -f
EOF
chmod 0755 "$root/init"

find "$root" -exec touch -h -d @0 {} +
cp "$be/initrd.img" "$out.part"
size=$(stat -c %s "$out.part")
pad=$(((4 - size % 4) % 4))
head -c "$pad" /dev/zero >>"$out.part"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet) \
  >>"$out.part"
mv "$out.part" "$out"
log "$out"
