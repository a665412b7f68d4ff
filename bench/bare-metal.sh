#!/usr/bin/env bash
# From power-on to the deployed system, per phase (firmware and iPXE, boot environment download,
# kernel to agent, image, restart), for 1 and for 3 QEMU machines booting the operator's ISO
# against a real distribution point daemon, the boot environment and the test system built by
# boot-environment/. Prints a table and writes the bare-metal section of docs/benchmarks.md.
# Needs root (network namespaces); takes about ten minutes on two cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/prereqs.sh
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
mvn -B -q install -DskipTests -Dspotless.check.skip >&2
mvn -B -pl operator verify -Dspotless.check.skip -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=BareMetalBenchIT -Dosdeploy.bench=bare-metal -Dfailsafe.failIfNoSpecifiedTests=false \
  | sed -n '/^## Bare metal/,/^Every part runs emulated/p'
