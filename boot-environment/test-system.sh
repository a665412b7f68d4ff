#!/usr/bin/env bash
# Builds the small operating system the virtual-machine tests deploy: a whole-disk image (GPT, one
# EFI system partition) that boots under BIOS (syslinux's GPT MBR and ldlinux) and UEFI
# (syslinux.efi as EFI/BOOT/BOOTX64.EFI) into Debian 12's kernel and a busybox initramfs. Its /init
# finds the partition it booted from, prints
#   osdeploy-test-system: marker <contents of /osdeploy/marker, or "none">
# on the serial console, and powers the machine off.
#
#   boot-environment/test-system.sh OUT.img
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/packages.env"

log() { echo "[test-system] $*" >&2; }
fail() { log "$*"; exit 1; }

out="${1:?usage: test-system.sh OUT.img}"
for tool in cpio zstd sfdisk mkfs.fat mcopy mmd syslinux; do
  command -v "$tool" >/dev/null || fail "$tool is required (scripts/prereqs.sh installs it)"
done
GPTMBR=/usr/lib/SYSLINUX/gptmbr.bin
[[ -f $GPTMBR ]] || GPTMBR=/usr/lib/syslinux/mbr/gptmbr.bin
EFI_LOADER=/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
EFI_LDLINUX=/usr/lib/syslinux/modules/efi64/ldlinux.e64
for f in "$GPTMBR" "$EFI_LOADER" "$EFI_LDLINUX"; do
  [[ -f "$f" ]] || fail "$f is missing (Debian packages syslinux-common and syslinux-efi)"
done

kernel_deb="$("$here/debian-package.sh" "$KERNEL_PACKAGE" "$KERNEL_FILE" "$KERNEL_SHA256")"
busybox_deb="$("$here/debian-package.sh" busybox-static "$BUSYBOX_FILE" "$BUSYBOX_SHA256")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
kver="$(ls "$work/kernel/lib/modules")"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,mnt}
cp "$work/busybox/bin/busybox" "$root/bin/"
for applet in sh mount umount cat echo sleep modprobe poweroff ls grep; do
  ln -s busybox "$root/bin/$applet"
done
moddir="$work/kernel/lib/modules/$kver"
"$root/bin/busybox" depmod -b "$work/kernel" "$kver"
wanted="virtio_pci virtio_blk ata_piix ahci sd_mod nvme vfat nls_cp437 nls_ascii"
for m in $wanted; do
  grep -E "/$m\.ko:" "$moddir/modules.dep" | tr -d ':' | tr ' ' '\n'
done | awk NF | sort -u | while read -r f; do
  mkdir -p "$root/lib/modules/$kver/$(dirname "$f")"
  cp "$moddir/$f" "$root/lib/modules/$kver/$f"
done
cp "$moddir"/modules.{order,builtin} "$root/lib/modules/$kver/"
"$root/bin/busybox" depmod -b "$root" "$kver"
cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $wanted; do modprobe \$m 2>/dev/null; done
echo "osdeploy-test-system: kernel \$(cat /proc/sys/kernel/osrelease) started"
tries=0
while [ \$tries -lt 40 ]; do
  for p in /sys/class/block/*; do
    [ -f "\$p/partition" ] || continue
    if mount -t vfat -o ro,iocharset=ascii "/dev/\${p##*/}" /mnt 2>/dev/null; then
      if [ -f /mnt/osdeploy-test-system ]; then
        marker=none
        [ -f /mnt/osdeploy/marker ] && marker="\$(cat /mnt/osdeploy/marker)"
        echo "osdeploy-test-system: booted from /dev/\${p##*/}"
        echo "osdeploy-test-system: marker \$marker"
        umount /mnt
        poweroff -f
      fi
      umount /mnt
    fi
  done
  sleep 0.5
  tries=\$((tries + 1))
done
echo "osdeploy-test-system: the partition it booted from was not found"
poweroff -f
EOF
chmod 0755 "$root/init"
(cd "$root" && find . -mindepth 1 | sort | cpio --quiet -o -H newc --owner=0:0) | zstd -q -19 >"$work/initrd.img"

cat >"$work/syslinux.cfg" <<'EOF'
SERIAL 0 115200
DEFAULT system
PROMPT 0
TIMEOUT 0
LABEL system
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND console=tty0 console=ttyS0,115200n8 quiet
EOF

# 40 MiB: the partition from 1 MiB to 1 MiB before the end (the backup GPT lives in the last).
size_mib=40
esp="$work/esp.img"
truncate -s $((size_mib - 2))M "$esp"
mkfs.fat -F 32 -n OSDTEST -i 0534d3a1 "$esp" >/dev/null 2>&1 || mkfs.fat -n OSDTEST -i 0534d3a1 "$esp" >/dev/null
echo "the osdeploy test system" >"$work/osdeploy-test-system"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/syslinux
mcopy -i "$esp" "$work/kernel/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$esp" "$work/initrd.img" ::/initrd.img
mcopy -i "$esp" "$work/osdeploy-test-system" ::/osdeploy-test-system
mcopy -i "$esp" "$work/syslinux.cfg" ::/syslinux/syslinux.cfg
mcopy -i "$esp" "$EFI_LOADER" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$EFI_LDLINUX" ::/EFI/BOOT/ldlinux.e64
mcopy -i "$esp" "$work/syslinux.cfg" ::/EFI/BOOT/syslinux.cfg
syslinux --install --directory /syslinux "$esp"

disk="$work/disk.img"
truncate -s ${size_mib}M "$disk"
sfdisk --quiet "$disk" <<'EOF'
label: gpt
label-id: 5A0D3F1E-7C2B-4E8A-9D61-0E5B7A3C2F10
first-lba: 2048
start=2048, size=77824, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=2E1C7A90-3B5D-4F8E-A1C6-9D0B4E7F3A21, name="EFI system", attrs="LegacyBIOSBootable"
EOF
dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc status=none
dd if="$GPTMBR" of="$disk" bs=440 count=1 conv=notrunc status=none
mv "$disk" "$out"
log "$out: $(stat -c %s "$out") bytes, kernel $kver, BIOS and UEFI"
