#!/usr/bin/env bash
# Makes the Windows-shaped image file the tests apply: no Windows in it, only the files the agent
# reads or writes around an applied image (the boot manager and its resources, fonts, a BCD
# template that is a real registry hive, the Panther folder) and a 4 MiB stand-in for the kernel.
#
#   boot-environment/windows-test-image.sh DIR
#
# Writes DIR/tree-one and DIR/tree-two (each file says which tree it is from) and DIR/install.wim,
# their capture by wimlib as images 1 ("One") and 2 ("Two"). Needs wimlib-imagex (wimtools),
# hivexsh (libhivex-bin) and python3.
set -euo pipefail
dir="${1:?usage: windows-test-image.sh DIR}"
mkdir -p "$dir"

# An empty registry hive: the base block, and one bin holding the root key and its security
# descriptor. hivexsh can change a hive, not make one.
empty_hive() { # <file>
  python3 - "$1" <<'EOF'
import struct, sys
BIN = 4096
nk = bytearray(76 + 4)
nk[0:2] = b"nk"
struct.pack_into("<H", nk, 2, 0x2C)                # the hive's root, no delete, ASCII name
nk_cell = (4 + len(nk) + 7) // 8 * 8
sk_at = 0x20 + nk_cell
struct.pack_into("<IIIIIIIIII", nk, 16, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0xFFFFFFFF, sk_at, 0xFFFFFFFF, 0)
struct.pack_into("<H", nk, 72, 4)
nk[76:] = b"ROOT"
descriptor = bytes([1, 0, 0x00, 0x80]) + bytes(16)  # self-relative, no owner, no lists
sk = bytearray(20 + len(descriptor))
sk[0:2] = b"sk"
struct.pack_into("<IIII", sk, 4, sk_at, sk_at, 1, len(descriptor))
sk[20:] = descriptor
sk_cell = (4 + len(sk) + 7) // 8 * 8
hbin = bytearray(BIN)
hbin[0:4] = b"hbin"
struct.pack_into("<II", hbin, 4, 0, BIN)
struct.pack_into("<i", hbin, 0x20, -nk_cell)
hbin[0x24:0x24 + len(nk)] = nk
struct.pack_into("<i", hbin, sk_at, -sk_cell)
hbin[sk_at + 4:sk_at + 4 + len(sk)] = sk
struct.pack_into("<i", hbin, sk_at + sk_cell, BIN - sk_at - sk_cell)
base = bytearray(4096)
base[0:4] = b"regf"
struct.pack_into("<IIQIIIIIII", base, 4, 1, 1, 0, 1, 3, 0, 1, 0x20, BIN, 1)
checksum = 0
for i in range(127):
    checksum ^= struct.unpack_from("<I", base, i * 4)[0]
struct.pack_into("<I", base, 508, checksum)
open(sys.argv[1], "wb").write(base + hbin)
EOF
}

# A BCD template as Windows images carry one: the store's description and the settings objects
# that boot entries inherit, and no boot entries.
bcd_template() { # <file>
  empty_hive "$1"
  cat >"$1.hivexsh" <<'EOF'
add Description
cd Description
setval 2
KeyName
string:BCD00000000
System
dword:0x1
cd ..
add Objects
cd Objects
add {7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}
cd {7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}
add Description
cd Description
setval 1
Type
dword:0x20100000
cd ..
cd ..
add {6efb52bf-1766-41db-a6b3-0ee5eff72bd7}
cd {6efb52bf-1766-41db-a6b3-0ee5eff72bd7}
add Description
cd Description
setval 1
Type
dword:0x20200003
cd ..
add Elements
cd Elements
add 14000006
cd 14000006
setval 1
Element
hex:7:7b,00,37,00,65,00,61,00,32,00,65,00,31,00,61,00,63,00,2d,00,32,00,65,00,36,00,31,00,2d,00,34,00,37,00,32,00,38,00,2d,00,61,00,61,00,61,00,33,00,2d,00,38,00,39,00,36,00,64,00,39,00,64,00,30,00,61,00,39,00,66,00,30,00,65,00,7d,00,00,00,00,00
commit
EOF
  hivexsh -w -f "$1.hivexsh" "$1"
  rm "$1.hivexsh"
}

for which in one two; do
  t="$dir/tree-$which"
  rm -rf "$t"
  mkdir -p "$t"/Windows/{Boot/EFI/en-US,Boot/Fonts,Boot/PCAT,System32/config,Panther} "$t/Users/Public"
  echo "boot manager $which" >"$t/Windows/Boot/EFI/bootmgfw.efi"
  echo "bootmgr $which" >"$t/Windows/Boot/EFI/bootmgr.efi"
  echo "mui $which" >"$t/Windows/Boot/EFI/en-US/bootmgfw.efi.mui"
  echo "font $which" >"$t/Windows/Boot/Fonts/segmono_boot.ttf"
  echo "pcat $which" >"$t/Windows/Boot/PCAT/bootmgr"
  echo "memtest $which" >"$t/Windows/Boot/PCAT/memtest.exe"
  echo "image $which" >"$t/Users/Public/which-image.txt"
  bcd_template "$t/Windows/System32/config/BCD-Template"
  head -c $((4 << 20)) /dev/urandom >"$t/Windows/System32/ntoskrnl.exe"
done
rm -f "$dir/install.wim"
wimlib-imagex capture "$dir/tree-one" "$dir/install.wim" One >/dev/null
wimlib-imagex append "$dir/tree-two" "$dir/install.wim" Two >/dev/null
echo "$dir/install.wim"
