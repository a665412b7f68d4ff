#!/usr/bin/env bash
# Installs what the run and test commands need, idempotently: the JDK is expected on the machine;
# Maven is the version ./mvnw pins, fetched from Maven Central once (with curl and unzip); Debian
# packages are installed when missing; kube-apiserver, etcd, kubectl and
# kube-controller-manager are built once from the Go module proxy and cached in ~/.kubeapitest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need() { command -v "$1" >/dev/null 2>&1; }
fail() { echo "[prereqs] $*" >&2; exit 1; }

need java || fail "Java 17 or newer is required (apt-get install openjdk-17-jdk-headless)"

# Debian packages the tests use: git holds the repository GitSyncIT syncs from; lua5.1 runs the
# Argo CD health checks in docs/gitops; ipxe, isolinux, syslinux-common and xorriso build boot
# media, qemu-system-x86 boots it and ovmf is its UEFI firmware; mtools and dosfstools read back
# and check the media's EFI system partition; iproute2 and nftables build the network tests' namespaces
# and their loss; dnsmasq-base (the binary, no system service) is the site's DHCP server in the PXE
# test; fdisk's sfdisk reads back the partition tables the agent writes; cpio and zstd pack the boot
# environment (boot-environment/build.sh); syslinux and syslinux-efi make the test's small
# operating system bootable under BIOS and UEFI; gcc builds the test's installed system a stand-in
# for a library Debian's kexec links (boot-environment/installed-system.sh); docker.io (dockerd,
# containerd, runc) loads and runs the images deploy/images/build.sh makes, in engines the tests
# start for themselves (no service is started here); containernetworking-plugins (the pods'
# bridge), iptables and conntrack (kube-proxy) and python3-minimal (a listener that takes the
# daemon's port) serve ClusterIT's node, whose kubelet scripts/k8s-test-binaries.sh builds; curl
# and unzip let ./mvnw fetch the Maven it pins; wimtools, ntfs-3g and libhivex-bin (a boot store's hive) make, apply and read back the
# Windows images of the agent's tests (mtools and dosfstools write their EFI system partitions);
# chromium and chromium-driver are the real browser the live page's tests drive.
APT_PACKAGES=(${OSDEPLOY_APT_PACKAGES:-git lua5.1 ipxe isolinux syslinux-common xorriso qemu-system-x86 ovmf mtools dosfstools iproute2 nftables dnsmasq-base fdisk cpio zstd syslinux syslinux-efi gcc libc6-dev docker.io containernetworking-plugins iptables conntrack python3-minimal curl unzip wimtools ntfs-3g libhivex-bin chromium chromium-driver})
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "[prereqs] installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
  else
    echo "[prereqs] missing Debian packages (not root, not installing): ${missing[*]}" >&2
  fi
fi

bash "$here/k8s-test-binaries.sh" >/dev/null
# Debian 13's iPXE (HTTPS), unpacked into a cache; the run and test commands point the media
# builder at it with OSDEPLOY_IPXE_DIR.
bash "$here/ipxe.sh" >/dev/null
